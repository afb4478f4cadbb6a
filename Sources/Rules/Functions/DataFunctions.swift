import Foundation
import IoTCore

/// Type tests, collection access, base64 and the local lookups (shadows, tables).
enum DataFunctions {
    static let all: [String: FunctionSpec] = [
        "isnull": .unary { v in .bool(v == .null) },
        "isundefined": .unary { v in .bool(v == nil) },
        "get": .binary(get),
        "transform": FunctionSpec(3...3) { a, _, _ in transform(a[0], a[1], a[2]) },
        "encode": .binary { v, scheme in
            guard isBase64(scheme), let s = Convert.string(v) else { return nil }
            return .string(Data(s.utf8).base64EncodedString())
        },
        "decode": .binary(decode),
        "get_thing_shadow": FunctionSpec(1...3) { a, s, p throws(RuleEvaluationError) in
            guard let thing = Convert.string(a[0]) else { return nil }
            var shadow: String?
            if a.count == 3 {
                shadow = Convert.string(a[1])
            } else if a.count == 2, let second = Convert.string(a[1]), !second.hasPrefix("arn:") {
                shadow = second
            }
            do {
                return try s.environment.getThingShadow(thing, shadow)
            } catch {
                throw RuleEvaluationError("get_thing_shadow(\"\(thing)\") failed: \(error).", at: p)
            }
        },
        "get_table": FunctionSpec(2...Int.max) { a, s, p throws(RuleEvaluationError) in
            guard let table = Convert.string(a[0]) else { return nil }
            var keys: [JSONValue] = []
            for k in a.dropFirst() {
                guard let k else { return nil }
                keys.append(k)
            }
            do {
                return try s.environment.getTable(table, keys)
            } catch {
                throw RuleEvaluationError("get_table(\"\(table)\") failed: \(error).", at: p)
            }
        },
    ]

    static func isBase64(_ scheme: JSONValue?) -> Bool {
        if case .string(let s)? = scheme, s.lowercased() == "base64" { return true }
        return false
    }

    /// Arrays and strings take an index (converted to Int); objects take a string key.
    static func get(_ c: JSONValue?, _ k: JSONValue?) -> JSONValue? {
        switch c {
        case .array(let a)?:
            guard let i = Convert.flooredInt(k), i >= 0, i < a.count else { return nil }
            return a[Int(i)]
        case .string(let s)?:
            guard let i = Convert.flooredInt(k), i >= 0, i < s.count else { return nil }
            return .string(String(s[s.index(s.startIndex, offsetBy: Int(i))]))
        case .object(let o)?:
            guard case .string(let key)? = k else { return nil }
            return o[key]
        default:
            return nil
        }
    }

    /// `transform('enrichArray', object, array)`: each array object gets the object's members.
    static func transform(_ mode: JSONValue?, _ extra: JSONValue?, _ list: JSONValue?) -> JSONValue? {
        guard case .string("enrichArray")? = mode, case .object(let add)? = extra, case .array(let items)? = list else {
            return nil
        }
        var out: [JSONValue] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .object(var o) = item else { continue }
            for (k, v) in add { o[k] = v }
            out.append(.object(o))
        }
        return .array(out)
    }

    /// Base64 text to a value: JSON when the bytes are a JSON document, else the text; Null
    /// when it is not base64.
    static func decode(_ v: JSONValue?, _ scheme: JSONValue?) -> JSONValue? {
        guard isBase64(scheme) else { return nil }
        guard case .string(let s)? = v else {
            if v == nil { return nil }
            return .null
        }
        guard let data = Data(base64Encoded: s, options: [.ignoreUnknownCharacters]) else { return .null }
        let bytes = [UInt8](data)
        if let json = try? JSONValue.parse(bytes) { return json }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}
