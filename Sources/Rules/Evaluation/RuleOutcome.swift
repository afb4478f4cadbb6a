import IoTCore

/// What a rule did with one message.
public enum RuleOutcome: Sendable, Equatable {
    /// The WHERE clause held; the value is the SELECT result (an object, or any value for SELECT VALUE).
    case fired(JSONValue)
    /// The WHERE clause held and the result is raw bytes: `SELECT *` over a non-JSON payload
    /// (the payload unchanged), or an Undefined `SELECT VALUE` (empty, as AWS serializes Undefined).
    case firedRaw([UInt8])
    case notMatched(NotMatchedReason)

    /// AWS IoT's largest message payload (128 KiB); a bigger rule result is an error.
    public static let maxPayloadBytes = 128 * 1024

    /// The payload an action publishes: the JSON text, or the raw bytes.
    public var payloadBytes: [UInt8]? {
        switch self {
        case .fired(let v): return v.serializedBytes()
        case .firedRaw(let b): return b
        case .notMatched: return nil
        }
    }

    /// `payloadBytes`, failing when the result is over `limit` bytes (for the rule's errorAction).
    public func payload(limit: Int = RuleOutcome.maxPayloadBytes) throws(RuleEvaluationError) -> [UInt8]? {
        guard let bytes = payloadBytes else { return nil }
        try Self.checkSize(bytes, limit: limit)
        return bytes
    }

    static func checkSize(_ bytes: [UInt8], limit: Int) throws(RuleEvaluationError) {
        if bytes.count > limit {
            throw RuleEvaluationError(
                "The rule's result is \(bytes.count) bytes, over the \(limit)-byte limit.", at: SourcePosition(line: 1, column: 1))
        }
    }
}

/// Why a rule did not fire.
public enum NotMatchedReason: Sendable, Equatable, CustomStringConvertible {
    /// The message's topic does not match the FROM filter.
    case topicMismatch(filter: String, topic: String)
    /// The WHERE clause was false or Undefined.
    case whereNotTrue

    public var description: String {
        switch self {
        case .topicMismatch(let filter, let topic):
            return "The topic '\(topic)' does not match the rule's topic filter '\(filter)'."
        case .whereNotTrue:
            return "The WHERE clause is not true for this message."
        }
    }
}
