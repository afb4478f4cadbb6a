import IoTCore

/// Turns a telemetry JSON object into points: every numeric leaf, named by its dotted path.
public enum TelemetryExtraction {
    /// Payload fields that carry the reading's time (epoch ms) rather than a measurement.
    public static let timestampFields: Set<String> = ["ts", "timestamp"]

    /// The reading's timestamp from a top-level `ts`/`timestamp` number, if any.
    public static func timestamp(of object: JSONObject) -> Int64? {
        for key in ["ts", "timestamp"] {
            if let v = object[key], let ms = v.intValue ?? v.doubleValue.map({ Int64($0) }) { return ms }
        }
        return nil
    }

    /// Numeric leaves in document order. Booleans and strings are not points; the raw
    /// message keeps them. Top-level timestamp fields are excluded.
    public static func points(of object: JSONObject) -> [TelemetryPoint] {
        var out: [TelemetryPoint] = []
        out.reserveCapacity(object.count)
        for (k, v) in object where !timestampFields.contains(k) {
            collect(v, path: k, into: &out)
        }
        return out
    }

    static func collect(_ value: JSONValue, path: String, into out: inout [TelemetryPoint]) {
        switch value {
        case .int(let i): out.append(TelemetryPoint(field: path, value: Double(i)))
        case .double(let d) where d.isFinite: out.append(TelemetryPoint(field: path, value: d))
        case .object(let o):
            for (k, v) in o { collect(v, path: path + "." + k, into: &out) }
        case .array(let a):
            for (n, v) in a.enumerated() { collect(v, path: path + "[\(n)]", into: &out) }
        default: break
        }
    }
}
