import IoTCore

/// A rule's SQL parsed and compiled once; `evaluate` runs it against each message.
public struct CompiledRule: Sendable {
    public let sql: String
    public let statement: SelectStatement
    /// The FROM clause's MQTT topic filter.
    public let topicFilter: String
    let matcher: TopicFilterMatcher
    let projection: Projection
    let condition: (@Sendable (Scope) throws(RuleEvaluationError) -> Bool)?

    /// Parses and compiles `sql`; errors carry the line and column in `sql`.
    public init(sql: String) throws(RuleSQLError) {
        let statement = try Parser.parseStatement(sql)
        guard case .topicFilter(let filter, _) = statement.from else {
            throw RuleSQLError("The rule needs FROM 'topic/filter'.", at: statement.position)
        }
        self.sql = sql
        self.statement = statement
        self.topicFilter = filter
        self.matcher = TopicFilterMatcher(filter)
        self.projection = try Projection(statement)
        self.condition = try statement.condition.map { (c) throws(RuleSQLError) in try Compiler.compileCondition(c) }
    }

    /// True when the message topic matches the FROM filter (MQTT rules, `$` topics included).
    public func matches(topic: String) -> Bool { matcher.matches(topic) }

    /// Runs the rule: topic filter, then WHERE, then SELECT.
    /// Throws when a function fails at run time (a regular expression over its time budget,
    /// a shadow or table lookup that fails); a false WHERE is not an error.
    public func evaluate(_ message: RuleMessage, environment: RuleEnvironment = .standalone) throws(RuleEvaluationError)
        -> RuleOutcome
    {
        guard matcher.matches(message.topic) else {
            return .notMatched(.topicMismatch(filter: topicFilter, topic: message.topic))
        }
        return try evaluateMatched(message, environment: environment)
    }

    /// The bytes an action publishes for a message the caller already matched to `topicFilter`,
    /// or nil when WHERE is not true: the same as `evaluateMatched(…).payload(limit:)`, written
    /// straight from the SELECT list without building the result object when the list allows
    /// (plain items with distinct keys), which is what the gateway runs for every matched rule.
    public func evaluatePayload(
        _ message: RuleMessage, environment: RuleEnvironment = .standalone, limit: Int = RuleOutcome.maxPayloadBytes
    ) throws(RuleEvaluationError) -> [UInt8]? {
        guard projection.flatKeys != nil else {
            return try evaluateMatched(message, environment: environment).payload(limit: limit)
        }
        let bytes = try Scope.run(message, environment) { (scope) throws(RuleEvaluationError) -> [UInt8]? in
            if let condition, try !condition(scope) { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(96)
            try projection.write(scope, into: &out)
            return out
        }
        if let bytes { try RuleOutcome.checkSize(bytes, limit: limit) }
        return bytes
    }

    /// Like `evaluate` for a message the caller already matched to `topicFilter` (the topic index did).
    public func evaluateMatched(_ message: RuleMessage, environment: RuleEnvironment = .standalone)
        throws(RuleEvaluationError) -> RuleOutcome
    {
        try Scope.run(message, environment) { (scope) throws(RuleEvaluationError) -> RuleOutcome in
            if let condition, try !condition(scope) { return .notMatched(.whereNotTrue) }
            if projection.selectsOnlyAll {
                switch message.payload {
                case nil: return .firedRaw(message.rawPayload)
                case .object?: break
                case let other?: return .fired(other)
                }
            }
            guard let v = try projection.evaluate(scope) else { return .firedRaw([]) }
            return .fired(v)
        }
    }
}
