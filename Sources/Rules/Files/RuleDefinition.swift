import IoTCore

/// One action of a rule as written in its file: the kind and its validated parameters.
public struct RuleActionSpec: Sendable {
    public var kind: String
    public var parameters: ActionParameters
    public var location: SourceLocation
}

/// A valid rule from a file (shape of AWS TopicRulePayload), with its SQL compiled.
public struct RuleDefinition: Sendable {
    public var name: String
    public var description: String?
    public var sql: String
    public var awsIotSqlVersion: String
    public var enabled: Bool
    public var actions: [RuleActionSpec]
    public var errorActions: [RuleActionSpec]
    public var rule: CompiledRule
    /// Where the rule's mapping starts.
    public var location: SourceLocation
}
