import IoTCore

/// Compact JSON output tuned for the shadow hot path: strings without escapes are copied in
/// one block and integers are formatted without a temporary String. Produces the same bytes
/// as `JSONValue.write(into:)`, which it defers to for doubles.
enum ShadowJSONWriter {
    static func bytes(_ value: JSONValue, capacity: Int = 256) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        write(value, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): writeInt(i, into: &out)
        case .double: value.write(into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o): write(o, into: &out)
        }
    }

    static func write(_ o: JSONObject, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for i in o.keys.indices {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(o.keys[i], into: &out)
            out.append(UInt8(ascii: ":"))
            write(o.values[i], into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func writeInt(_ value: Int64, into out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var n = 20
            repeat {
                n -= 1
                buf[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[n..<20]))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        let copied: Bool = s.withUTF8 { buf in
            for c in buf where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: buf)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if !copied { JSONValue.string(s).write(into: &out) }
    }
}
