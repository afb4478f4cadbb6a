import IoTCore

/// The operators of the "Operators" page over `JSONValue?` (nil = Undefined).
enum Operators {
    /// `=`: Undefined if either side is; numbers compare by value; arrays in order; objects
    /// regardless of key order; mismatched types are unequal.
    static func equal(_ a: JSONValue?, _ b: JSONValue?) -> JSONValue? {
        guard let a, let b else { return nil }
        return .bool(same(a, b))
    }

    static func notEqual(_ a: JSONValue?, _ b: JSONValue?) -> JSONValue? {
        guard let a, let b else { return nil }
        if case .null = a, case .null = b { return .bool(false) }
        return .bool(!same(a, b))
    }

    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.int(let x), .double(let y)): return Double(x) == y
        case (.double(let x), .int(let y)): return x == Double(y)
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            for k in x.indices where !same(x[k], y[k]) { return false }
            return true
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, v) in x {
                guard let w = y[key], same(v, w) else { return false }
            }
            return true
        default: return false
        }
    }

    /// `<`, `<=`, `>`, `>=`: both sides converted to numbers (numeric strings too), else Undefined.
    @inline(__always)
    static func compare(_ a: JSONValue?, _ b: JSONValue?) -> Int? {
        if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : (x == y ? 0 : 1) }
        guard let x = Convert.numeric(a), let y = Convert.numeric(b) else { return nil }
        if case .int(let i) = x, case .int(let j) = y { return i < j ? -1 : (i == j ? 0 : 1) }
        guard let d = x.doubleValue, let e = y.doubleValue, !d.isNaN, !e.isNaN else { return nil }
        return d < e ? -1 : (d == e ? 0 : 1)
    }

    /// `+`: string concatenation when either side is a String, else numeric addition.
    static func add(_ a: JSONValue?, _ b: JSONValue?) -> JSONValue? {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, o) = x.addingReportingOverflow(y)
            return o ? Convert.decimal(Double(x) + Double(y)) : .int(r)
        }
        if case .string(let s) = a {
            guard let t = Convert.string(b) else { return nil }
            return .string(s + t)
        }
        if case .string(let t) = b {
            guard let s = Convert.string(a) else { return nil }
            return .string(s + t)
        }
        guard let x = a?.doubleValue, let y = b?.doubleValue else { return nil }
        return Convert.decimal(x + y)
    }

    /// `-`, `*`, `/`, `%`: Int with Int stays Int; numeric strings convert; else Undefined.
    static func arithmetic(_ op: BinaryOperator, _ a: JSONValue?, _ b: JSONValue?) -> JSONValue? {
        guard let x = Convert.numeric(a), let y = Convert.numeric(b) else { return nil }
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case .subtract:
                let (r, o) = i.subtractingReportingOverflow(j)
                return o ? Convert.decimal(Double(i) - Double(j)) : .int(r)
            case .multiply:
                let (r, o) = i.multipliedReportingOverflow(by: j)
                return o ? Convert.decimal(Double(i) * Double(j)) : .int(r)
            case .divide:
                if j == 0 { return nil }
                let (r, o) = i.dividedReportingOverflow(by: j)
                return o ? Convert.decimal(Double(i) / Double(j)) : .int(r)
            case .modulo:
                if j == 0 { return nil }
                let (r, o) = i.remainderReportingOverflow(dividingBy: j)
                return o ? .int(0) : .int(r)
            default: return nil
            }
        }
        guard let d = x.doubleValue, let e = y.doubleValue else { return nil }
        switch op {
        case .subtract: return Convert.decimal(d - e)
        case .multiply: return Convert.decimal(d * e)
        case .divide:
            guard e != 0 else { return nil }
            return Convert.decimal(d / e)
        case .modulo:
            guard e != 0 else { return nil }
            return Convert.decimal(d.truncatingRemainder(dividingBy: e))
        default: return nil
        }
    }

    static func negate(_ a: JSONValue?) -> JSONValue? {
        switch Convert.numeric(a) {
        case .int(let i): return i == Int64.min ? Convert.decimal(-Double(i)) : .int(-i)
        case .double(let d): return .double(-d)
        default: return nil
        }
    }

    /// `IN`: true when the right side (an array) has an element equal to the left side.
    static func contained(_ a: JSONValue?, _ b: JSONValue?) -> JSONValue? {
        guard let a, case .array(let list) = b else { return nil }
        return .bool(list.contains { same(a, $0) })
    }
}
