import IoTCore

/// Where something was written: a file and a 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

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

/// Rules read from files and the problems found on the way.
public struct RuleLoadResult: Sendable {
    public var rules: [RuleDefinition] = []
    public var diagnostics: [RuleDiagnostic] = []
    /// Names of rules that were present but invalid (so a server can keep their last good version).
    public var failedRuleNames: Set<String> = []

    public init() {}
}
