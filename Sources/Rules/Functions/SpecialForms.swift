import Foundation
import IoTCore

/// Functions compiled by hand: ones that look at their argument expressions (`encode(*)`),
/// evaluate lazily (`get_or_default`), or are on the hot path (`topic(n)` with a constant n).
enum SpecialForms {
    static func compile(name: String, arguments: [Expression], at p: SourcePosition) throws(RuleSQLError) -> Evaluator? {
        switch name {
        case "topic":
            guard arguments.count == 1, case .literal(.int(let n), _) = arguments[0] else { return nil }
            return { s in ContextFunctions.segment(s.message.topic, n).map { .string($0) } }
        case "encode":
            guard arguments.count == 2, case .payload = arguments[0] else { return nil }
            let scheme = try Compiler.compile(arguments[1])
            return { s throws(RuleEvaluationError) in
                guard DataFunctions.isBase64(try scheme(s)) else { return nil }
                return .string(Data(s.message.payloadBytes).base64EncodedString())
            }
        case "get_or_default":
            try FunctionLibrary.checkArity(name, 2...2, arguments.count, at: p)
            let value = try Compiler.compile(arguments[0])
            let fallback = try Compiler.compile(arguments[1])
            return { (s: Scope) throws(RuleEvaluationError) -> JSONValue? in
                let v: JSONValue?
                do { v = try value(s) } catch { return try fallback(s) }
                if v == nil || v == .null { return try fallback(s) }
                return v
            }
        default:
            return nil
        }
    }
}
