import IoTCore

/// The body of a built-in function: evaluated arguments in, a value (or nil = Undefined) out.
typealias FunctionBody = @Sendable (_ args: [JSONValue?], _ scope: Scope, _ at: SourcePosition) throws(RuleEvaluationError) -> JSONValue?

/// A built-in function: how many arguments it takes and what it does.
struct FunctionSpec: Sendable {
    let arity: ClosedRange<Int>
    let body: FunctionBody

    init(_ arity: ClosedRange<Int>, _ body: @escaping FunctionBody) {
        self.arity = arity
        self.body = body
    }

    /// A function of one value that never fails.
    static func unary(_ f: @escaping @Sendable (JSONValue?) -> JSONValue?) -> FunctionSpec {
        FunctionSpec(1...1) { a, _, _ in f(a[0]) }
    }

    static func binary(_ f: @escaping @Sendable (JSONValue?, JSONValue?) -> JSONValue?) -> FunctionSpec {
        FunctionSpec(2...2) { a, _, _ in f(a[0], a[1]) }
    }
}

/// Every function of the AWS "Functions" page that does not need another AWS service.
enum FunctionLibrary {
    static let functions: [String: FunctionSpec] = {
        var t: [String: FunctionSpec] = [:]
        t.merge(MathFunctions.all) { a, _ in a }
        t.merge(StringFunctions.all) { a, _ in a }
        t.merge(RegexFunctions.all) { a, _ in a }
        t.merge(DataFunctions.all) { a, _ in a }
        t.merge(HashFunctions.all) { a, _ in a }
        t.merge(TimeFunctions.all) { a, _ in a }
        t.merge(ContextFunctions.all) { a, _ in a }
        return t
    }()

    /// AWS functions that call other AWS services; named so the error says why they are missing.
    static let serviceBound: Set<String> = [
        "aws_lambda", "get_dynamodb", "get_secret", "machinelearning_predict", "get_registry_data", "accountid",
        "sourceip", "get_mqtt_property", "get_user_properties",
    ]

    static func compile(name: String, arguments: [Expression], at p: SourcePosition) throws(RuleSQLError) -> Evaluator {
        if let special = try SpecialForms.compile(name: name, arguments: arguments, at: p) { return special }
        guard let spec = functions[name] else {
            if serviceBound.contains(name) {
                throw RuleSQLError("The function \(name) needs an AWS service and is not available in this gateway.", at: p)
            }
            throw RuleSQLError("Unknown function '\(name)'.", at: p)
        }
        try checkArity(name, spec.arity, arguments.count, at: p)
        let args = try arguments.map { (e) throws(RuleSQLError) in try Compiler.compile(e) }
        let body = spec.body
        switch args.count {
        case 0:
            return { s throws(RuleEvaluationError) in try body([], s, p) }
        case 1:
            let a = args[0]
            return { s throws(RuleEvaluationError) in try body([try a(s)], s, p) }
        default:
            return { s throws(RuleEvaluationError) in
                var values: [JSONValue?] = []
                values.reserveCapacity(args.count)
                for f in args { values.append(try f(s)) }
                return try body(values, s, p)
            }
        }
    }

    static func checkArity(_ name: String, _ arity: ClosedRange<Int>, _ n: Int, at p: SourcePosition) throws(RuleSQLError) {
        guard !arity.contains(n) else { return }
        let expected: String
        if arity.lowerBound == arity.upperBound {
            expected = arity.lowerBound == 1 ? "1 argument" : "\(arity.lowerBound) arguments"
        } else if arity.upperBound == Int.max {
            expected = "at least \(arity.lowerBound) arguments"
        } else {
            expected = "\(arity.lowerBound) to \(arity.upperBound) arguments"
        }
        throw RuleSQLError("The function \(name) takes \(expected), but \(n) \(n == 1 ? "was" : "were") given.", at: p)
    }
}
