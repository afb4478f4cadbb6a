/// Rules read from files and the problems found on the way.
public struct RuleLoadResult: Sendable {
    public var rules: [RuleDefinition] = []
    public var diagnostics: [RuleDiagnostic] = []
    /// Names of rules that were present but invalid (so a server can keep their last good version).
    public var failedRuleNames: Set<String> = []

    public init() {}
}
