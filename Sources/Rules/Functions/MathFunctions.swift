import Foundation
import IoTCore

/// Math and bitwise functions. Double-precision functions return Undefined for NaN results
/// ("imaginary results are returned as Undefined").
enum MathFunctions {
    static let all: [String: FunctionSpec] = [
        "abs": .unary { v in
            switch Convert.numeric(v) {
            case .int(let i)?: return i == Int64.min ? Convert.decimal(-Double(i)) : .int(Swift.abs(i))
            case .double(let d)?: return .double(Swift.abs(d))
            default: return nil
            }
        },
        "acos": double(Foundation.acos),
        "asin": double(Foundation.asin),
        "atan": double(Foundation.atan),
        "atan2": .binary { y, x in
            guard let a = Convert.double(y), let b = Convert.double(x) else { return nil }
            return Convert.decimal(Foundation.atan2(a, b))
        },
        "cos": double(Foundation.cos),
        "cosh": double(Foundation.cosh),
        "exp": double(Foundation.exp),
        "ln": double(Foundation.log),
        "log": double(Foundation.log10),
        "sin": double(Foundation.sin),
        "sinh": double(Foundation.sinh),
        "sqrt": double(Foundation.sqrt),
        "tan": double(Foundation.tan),
        "tanh": double(Foundation.tanh),
        "ceil": rounding(.up),
        "floor": rounding(.down),
        "round": rounding(.toNearestOrAwayFromZero),
        "sign": .unary { v in
            switch Convert.numeric(v) {
            case .int(let i)?: return .int(i.signum())
            case .double(let d)?: return .int(d > 0 ? 1 : (d < 0 ? -1 : 0))
            default: return nil
            }
        },
        "mod": .binary { a, b in Operators.arithmetic(.modulo, a, b) },
        "remainder": .binary { a, b in Operators.arithmetic(.modulo, a, b) },
        "power": .binary { a, b in
            guard let x = Convert.double(a), let y = Convert.double(b) else { return nil }
            return Convert.decimal(Foundation.pow(x, y))
        },
        "trunc": .binary(trunc),
        "rand": FunctionSpec(0...0) { _, _, _ in .double(Double.random(in: 0..<1)) },
        "nanvl": .binary { a, b in
            switch a {
            case nil, .null?: return b
            case .double(let d)? where d.isNaN: return b
            default: return a
            }
        },
        "bitand": bits { $0 & $1 },
        "bitor": bits { $0 | $1 },
        "bitxor": bits { $0 ^ $1 },
        "bitnot": .unary { v in Convert.flooredInt(v).map { .int(~$0) } },
    ]

    static func double(_ f: @escaping @Sendable (Double) -> Double) -> FunctionSpec {
        .unary { v in Convert.double(v).flatMap { Convert.decimal(f($0)) } }
    }

    static func rounding(_ rule: FloatingPointRoundingRule) -> FunctionSpec {
        .unary { v in
            switch Convert.numeric(v) {
            case .int?: return Convert.numeric(v)
            case .double(let d)?:
                let r = d.rounded(rule)
                guard r.isFinite else { return nil }
                return Swift.abs(r) < 9.2e18 ? .int(Int64(r)) : .double(r)
            default: return nil
            }
        }
    }

    static func bits(_ op: @escaping @Sendable (Int64, Int64) -> Int64) -> FunctionSpec {
        .binary { a, b in
            guard let x = Convert.flooredInt(a), let y = Convert.flooredInt(b) else { return nil }
            return .int(op(x, y))
        }
    }

    /// Cuts the decimal text rather than multiplying, so `trunc(0.29, 2)` is 0.29, not 0.28.
    static func trunc(_ a: JSONValue?, _ b: JSONValue?) -> JSONValue? {
        guard let x = Convert.numeric(a), let places = Convert.flooredInt(b) else { return nil }
        guard case .double(let d) = x else { return x }
        let n = Int(Swift.min(Swift.max(places, 0), 34))
        let text = "\(d)"
        if text.contains("e") || text.contains("E") {
            let f = Foundation.pow(10.0, Double(n))
            let r = (d * f).rounded(.towardZero) / f
            return Convert.decimal(r.isFinite ? r : d)
        }
        guard let dot = text.firstIndex(of: ".") else { return Convert.decimal(d) }
        let fraction = text[text.index(after: dot)...]
        let cut = text[..<dot] + (n > 0 ? "." + fraction.prefix(n) : "")
        return Convert.decimal(Double(String(cut)) ?? d)
    }
}
