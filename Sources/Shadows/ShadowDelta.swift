import IoTCore

/// The `delta` of a shadow: every desired field whose value differs from reported or is
/// missing there, with its full path, and the desired metadata of those fields.
enum ShadowDelta {
    /// nil when desired and reported agree on every desired field.
    static func compute(desired: JSONObject?, reported: JSONObject?, desiredMetadata: JSONObject?)
        -> (state: JSONObject, metadata: JSONObject)?
    {
        guard let desired, !desired.isEmpty else { return nil }
        return diff(desired, reported, desiredMetadata ?? [:])
    }

    private static func diff(_ desired: JSONObject, _ reported: JSONObject?, _ meta: JSONObject)
        -> (state: JSONObject, metadata: JSONObject)?
    {
        var state = JSONObject()
        var metadata = JSONObject()
        for (key, want) in desired {
            guard let have = reported?[key] else {
                state[key] = want
                metadata[key] = meta[key]
                continue
            }
            if case .object(let w) = want, case .object(let h) = have {
                if let sub = diff(w, h, meta[key]?.objectValue ?? [:]) {
                    state[key] = .object(sub.state)
                    metadata[key] = .object(sub.metadata)
                }
            } else if !equivalent(want, have) {
                state[key] = want
                metadata[key] = meta[key]
            }
        }
        return state.isEmpty ? nil : (state, metadata)
    }

    /// JSON equality as a device sees it: numbers by value (`1` equals `1.0`, as AWS's own
    /// shadow code compares them), object members in any order, arrays element by element.
    static func equivalent(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.int, .double), (.double, .int), (.double, .double):
            return a.doubleValue == b.doubleValue && a.intValue == b.intValue
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            for i in x.indices where !equivalent(x[i], y[i]) { return false }
            return true
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in x {
                guard let w = y[k], equivalent(v, w) else { return false }
            }
            return true
        default: return false
        }
    }
}
