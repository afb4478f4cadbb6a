import Foundation
import IoTCore

/// String functions. Non-string arguments go through the standard string conversion;
/// Null and Undefined have none, so they give Undefined. Lengths and indices count characters.
enum StringFunctions {
    static let maxPad = 1000

    static let all: [String: FunctionSpec] = [
        "chr": .unary { v in
            guard let n = Convert.flooredInt(v), n >= 0, n < 128, let u = Unicode.Scalar(UInt32(n)) else { return nil }
            return .string(String(Character(u)))
        },
        "concat": FunctionSpec(0...Int.max) { a, _, _ in concat(a) },
        "endswith": .binary { a, b in
            guard let s = Convert.string(a), let t = Convert.string(b) else { return nil }
            return .bool(s.hasSuffix(t))
        },
        "startswith": .binary { a, b in
            guard let s = Convert.string(a), let t = Convert.string(b) else { return nil }
            return .bool(s.hasPrefix(t))
        },
        "indexof": .binary { a, b in
            guard let s = Convert.string(a), let t = Convert.string(b) else { return nil }
            guard let r = s.range(of: t) else { return .int(-1) }
            return .int(Int64(s.distance(from: s.startIndex, to: r.lowerBound)))
        },
        "length": .unary { v in Convert.string(v).map { .int(Int64($0.count)) } },
        "numbytes": .unary { v in Convert.string(v).map { .int(Int64($0.utf8.count)) } },
        "lower": .unary { v in Convert.string(v).map { .string($0.lowercased()) } },
        "upper": .unary { v in Convert.string(v).map { .string($0.uppercased()) } },
        "lpad": .binary { a, b in pad(a, b, left: true) },
        "rpad": .binary { a, b in pad(a, b, left: false) },
        "ltrim": .unary { v in Convert.string(v).map { .string(String($0.drop(while: isBlank))) } },
        "rtrim": .unary { v in Convert.string(v).map { .string(trimEnd($0)) } },
        "trim": .unary { v in Convert.string(v).map { .string(trimEnd(String($0.drop(while: isBlank)))) } },
        "replace": FunctionSpec(3...3) { a, _, _ in
            guard let s = Convert.string(a[0]), let t = Convert.string(a[1]), let r = Convert.string(a[2]) else { return nil }
            if t.isEmpty { return .string(s) }
            return .string(s.replacingOccurrences(of: t, with: r))
        },
        "substring": FunctionSpec(2...3) { a, _, _ in substring(a) },
    ]

    static func isBlank(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { $0.value <= 0x20 }
    }

    static func trimEnd(_ s: String) -> String {
        var end = s.endIndex
        while end > s.startIndex {
            let before = s.index(before: end)
            guard isBlank(s[before]) else { break }
            end = before
        }
        return String(s[..<end])
    }

    static func pad(_ a: JSONValue?, _ b: JSONValue?, left: Bool) -> JSONValue? {
        guard let s = Convert.string(a), let d = Convert.double(b) else { return nil }
        let n = Int(Swift.min(Swift.max(d.rounded(.down), 0), Double(maxPad)))
        let spaces = String(repeating: " ", count: n)
        return .string(left ? spaces + s : s + spaces)
    }

    /// Clamps an index argument into `0...count` (huge or negative values included).
    static func clampedIndex(_ v: JSONValue?, count: Int) -> Int? {
        guard let d = Convert.double(v) else { return nil }
        let f = d.rounded(.down)
        if f <= 0 { return 0 }
        if f >= Double(count) { return count }
        return Int(f)
    }

    static func substring(_ a: [JSONValue?]) -> JSONValue? {
        guard let s = Convert.string(a[0]) else { return nil }
        let chars = Array(s)
        guard let from = clampedIndex(a[1], count: chars.count) else { return nil }
        var to = chars.count
        if a.count == 3 {
            guard let t = clampedIndex(a[2], count: chars.count) else { return nil }
            to = t
        }
        if from >= to { return .string("") }
        return .string(String(chars[from..<to]))
    }

    /// Arrays flatten into one array; otherwise the string forms are joined.
    static func concat(_ a: [JSONValue?]) -> JSONValue? {
        if a.isEmpty { return nil }
        if a.count == 1 {
            if case .array? = a[0] { return a[0] }
            return Convert.string(a[0]).map { .string($0) }
        }
        if a.contains(where: { if case .array? = $0 { return true } else { return false } }) {
            var out: [JSONValue] = []
            for v in a {
                switch v {
                case .array(let items)?: out.append(contentsOf: items)
                case let x?: out.append(x)
                case nil: continue
                }
            }
            return .array(out)
        }
        var out = ""
        for v in a {
            guard let s = Convert.string(v) else { return nil }
            out += s
        }
        return .string(out)
    }
}
