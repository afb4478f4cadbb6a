import IoTCore
import Rules

/// A rule as the REST API shows it: its definition, where it comes from, and its load status.
public struct RuleInfo: Sendable {
    /// Where a rule is defined; file rules change only by editing the file.
    public enum Source: Sendable, Equatable {
        case file(SourceLocation)
        case api
    }

    public var name: String
    public var source: Source
    /// The definition in force; nil when the rule never loaded (its file is broken).
    public var definition: RuleDefinition?
    /// Load or validation errors, as `file:line:col: error: message` lines.
    public var errors: [String]
    /// True when `definition` is an earlier good version kept because the file is now broken.
    public var isStale: Bool
    /// Epoch milliseconds: when the REST rule was created, or when the file rule was loaded.
    public var createdAt: Int64
    /// The effective enabled state (the definition's, or the REST enable/disable state).
    public var enabled: Bool

    /// `ok` (running as written), `error` (running an earlier version), `failed` (not running).
    public var state: String {
        if errors.isEmpty { return "ok" }
        return definition == nil ? "failed" : "error"
    }
}

/// One rule that is enabled and loaded, with its running actions and instruments.
/// A class: the topic index hands out one reference per match instead of copying its fields.
final class ActiveRule: Sendable {
    let name: String
    let compiled: CompiledRule
    let actions: [any RuleAction]
    let errorActions: [any RuleAction]
    let metrics: RuleMetrics

    init(name: String, compiled: CompiledRule, actions: [any RuleAction], errorActions: [any RuleAction], metrics: RuleMetrics) {
        self.name = name
        self.compiled = compiled
        self.actions = actions
        self.errorActions = errorActions
        self.metrics = metrics
    }
}

/// An immutable snapshot of the rules in force: every message is evaluated against exactly
/// one snapshot, and a reload swaps the whole snapshot at once.
final class RuleSet: Sendable {
    let index: TopicIndex<String, ActiveRule>
    let infos: [String: RuleInfo]

    init(index: TopicIndex<String, ActiveRule>, infos: [String: RuleInfo]) {
        self.index = index
        self.infos = infos
    }

    static let empty = RuleSet(index: TopicIndex(), infos: [:])
}
