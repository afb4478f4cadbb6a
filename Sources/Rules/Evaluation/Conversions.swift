import Foundation
import IoTCore

/// AWS IoT SQL's standard conversions ("Data types" page). A value is `JSONValue?`:
/// `nil` is Undefined, `.null` is Null, `.int` is Int and `.double` is Decimal.
enum Convert {
    /// The `^-?\d+(\.\d+)?((?i)E-?\d+)?$` strings AWS accepts as numbers.
    static func number(fromString s: String) -> JSONValue? {
        var it = s.utf8.makeIterator()
        var c = it.next()
        var sawFraction = false
        var sawExponent = false
        if c == UInt8(ascii: "-") { c = it.next() }
        func digits(_ c: inout UInt8?, _ it: inout String.UTF8View.Iterator) -> Bool {
            var any = false
            while let d = c, d >= 0x30, d <= 0x39 {
                any = true
                c = it.next()
            }
            return any
        }
        guard digits(&c, &it) else { return nil }
        if c == UInt8(ascii: ".") {
            c = it.next()
            guard digits(&c, &it) else { return nil }
            sawFraction = true
        }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "-") { c = it.next() }
            guard digits(&c, &it) else { return nil }
            sawExponent = true
        }
        guard c == nil else { return nil }
        if !sawFraction && !sawExponent, let i = Int64(s) { return .int(i) }
        guard let d = Double(s), d.isFinite else { return nil }
        return .double(d)
    }

    /// To Decimal or Int: numbers as they are, numeric strings parsed; anything else is nil.
    @inline(__always)
    static func numeric(_ v: JSONValue?) -> JSONValue? {
        switch v {
        case .int, .double: return v
        case .string(let s): return number(fromString: s)
        default: return nil
        }
    }

    /// To Decimal as a Double, or nil when AWS would give Undefined (or Null).
    @inline(__always)
    static func double(_ v: JSONValue?) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return number(fromString: s)?.doubleValue
        default: return nil
        }
    }

    /// To Int by rounding down (floor), as the bit and string functions document.
    static func flooredInt(_ v: JSONValue?) -> Int64? {
        switch numeric(v) {
        case .int(let i): return i
        case .double(let d):
            let f = d.rounded(.down)
            guard f.isFinite, f >= -9.2e18, f <= 9.2e18 else { return nil }
            return Int64(f)
        default: return nil
        }
    }

    /// To Boolean: Booleans, and the strings "true"/"false" in any case.
    @inline(__always)
    static func boolean(_ v: JSONValue?) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .string(let s):
            if s.count == 4, s.lowercased() == "true" { return true }
            if s.count == 5, s.lowercased() == "false" { return false }
            return nil
        default: return nil
        }
    }

    /// To String: numbers in standard notation, booleans lowercase, arrays and objects as JSON;
    /// Null and Undefined have no string form.
    static func string(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return decimalText(d)
        case .bool(let b): return b ? "true" : "false"
        case .array, .object: return v!.serialized()
        case .null, nil: return nil
        }
    }

    /// Decimal text; whole numbers print as integers because SQL 2016-03-23 treats them as Int.
    static func decimalText(_ d: Double) -> String {
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return d.description.replacingOccurrences(of: "e", with: "E")
    }

    /// A Decimal result as AWS 2016-03-23 emits it: whole numbers become Int.
    @inline(__always)
    static func decimal(_ d: Double) -> JSONValue? {
        if d.rounded() == d, abs(d) < 9.007_199_254_740_992e15 { return .int(Int64(d)) }
        guard d.isFinite else { return nil }
        return .double(d)
    }
}
