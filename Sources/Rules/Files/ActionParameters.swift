import IoTCore

/// The parameters of one action in a rule file, as a validator sees them.
public struct ActionParameters: Sendable {
    public let kind: String
    public let values: JSONObject

    public init(kind: String, values: JSONObject) {
        self.kind = kind
        self.values = values
    }

    public subscript(key: String) -> JSONValue? { values[key] }
}

/// A problem a validator found, tied to a field (and optionally a place inside its string value).
public struct ActionIssue: Sendable, Hashable {
    public var message: String
    /// The parameter the problem is about; nil for the action as a whole.
    public var field: String?
    /// 1-based line and column inside the field's string value (for template errors).
    public var offset: SourcePosition?
    /// Point at the field's name rather than its value (an unknown field).
    public var atName: Bool

    public init(_ message: String, field: String? = nil, offset: SourcePosition? = nil, atName: Bool = false) {
        self.message = message
        self.field = field
        self.offset = offset
        self.atName = atName
    }
}
