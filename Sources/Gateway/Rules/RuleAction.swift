import IoTCore
import Rules

/// One action of a running rule. `perform` is called on the thread that evaluated the rule
/// (the MQTT loop thread, or a shadow shard for `update/documents`), so it must not block:
/// an action that does I/O queues its work (bounded) and reports failures to its errorAction
/// through `RuleActionContext.reportFailure`.
public protocol RuleAction: Sendable {
    /// The action kind as written in rule files (`republish`, …); `failedAction` in error reports.
    var kind: String { get }
    /// Carries out the action with the rule's output `payload` for the original `message`.
    func perform(payload: [UInt8], context: RuleActionContext) throws(RuleActionFailure)
}

/// What an action sees besides the payload: the original message, the rule, the environment.
public struct RuleActionContext: Sendable {
    public var ruleName: String
    /// The rule's FROM filter, so an action can tell when it would feed its own rule (a loop).
    public var rule: CompiledRule
    public var message: RuleMessage
    public var environment: RuleEnvironment
}

/// Why an action failed, in the terms of AWS's error-action `failures` entries.
public struct RuleActionFailure: Error, Sendable, Equatable {
    /// What the action wrote to (a topic, table, URL).
    public var resource: String
    public var message: String

    public init(resource: String, message: String) {
        self.resource = resource
        self.message = message
    }
}

/// Builds running actions from validated rule-file parameters, one builder per kind.
/// Kinds registered here must also be in the `ActionRegistry` rule files are checked with.
public struct RuleActionFactory: Sendable {
    public typealias Builder = @Sendable (ActionParameters) throws(RuleSQLError) -> any RuleAction
    private var builders: [String: Builder] = [:]

    public init() {}

    public mutating func register(_ kind: String, builder: @escaping Builder) {
        builders[kind] = builder
    }

    /// The running action for `spec`; throws when the kind has no builder or its parameters are bad.
    public func make(_ spec: RuleActionSpec) throws(RuleSQLError) -> any RuleAction {
        guard let build = builders[spec.kind] else {
            throw RuleSQLError(
                "The gateway cannot run '\(spec.kind)' actions yet.", at: SourcePosition(line: spec.location.line, column: spec.location.column))
        }
        return try build(spec.parameters)
    }
}
