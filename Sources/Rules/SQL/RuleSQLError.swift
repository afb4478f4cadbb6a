/// A syntax or semantic error in rule SQL, with the position a user needs to fix it.
public struct RuleSQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A full sentence saying what is wrong.
    public var message: String
    public var position: SourcePosition

    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }

    public var line: Int { position.line }
    public var column: Int { position.column }

    public var description: String { "\(position): \(message)" }
}
