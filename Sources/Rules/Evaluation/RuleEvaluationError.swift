/// A failure while evaluating a rule (not a false WHERE): it goes to the rule's errorAction.
public struct RuleEvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// Where in the SQL (or template) the failing expression starts.
    public var position: SourcePosition

    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }

    public var description: String { "\(position): \(message)" }
}
