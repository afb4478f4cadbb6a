import Foundation
import IoTCore

/// A message as a rule sees it: topic, payload and the MQTT facts the context functions return.
public struct RuleMessage: Sendable {
    public var topic: String
    /// The parsed payload, or nil when the payload is not JSON (its fields are then Undefined).
    public var payload: JSONValue?
    /// The payload bytes as published; `*` over a non-JSON payload and `encode(*, 'base64')` use them.
    public var rawPayload: [UInt8]
    /// `clientid()`; nil gives "n/a" as AWS does for messages not sent over MQTT.
    public var clientId: String?
    public var principal: String?
    /// `timestamp()`, milliseconds since the Unix epoch.
    public var timestamp: Int64
    /// `traceid()`; nil gives Undefined.
    public var traceId: String?

    public init(
        topic: String, payload: JSONValue?, rawPayload: [UInt8] = [], clientId: String? = nil,
        principal: String? = nil, timestamp: Int64 = RuleMessage.nowMilliseconds(), traceId: String? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.rawPayload = rawPayload
        self.clientId = clientId
        self.principal = principal
        self.timestamp = timestamp
        self.traceId = traceId
    }

    /// A message from the bytes received; a payload that is not valid JSON stays binary.
    public init(
        topic: String, bytes: [UInt8], clientId: String? = nil, principal: String? = nil,
        timestamp: Int64 = RuleMessage.nowMilliseconds(), traceId: String? = nil
    ) {
        self.init(
            topic: topic, payload: try? JSONValue.parse(bytes), rawPayload: bytes, clientId: clientId,
            principal: principal, timestamp: timestamp, traceId: traceId)
    }

    public static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The payload bytes: the raw bytes when known, else the JSON serialized.
    var payloadBytes: [UInt8] {
        if !rawPayload.isEmpty || payload == nil { return rawPayload }
        return payload!.serializedBytes()
    }
}

/// What the gateway lends the evaluator: shadows, tables and identifiers.
public struct RuleEnvironment: Sendable {
    /// `get_thing_shadow(thing[, shadow])`: the shadow document, or nil when there is none.
    public var getThingShadow: @Sendable (_ thing: String, _ shadow: String?) throws -> JSONValue?
    /// `get_table(table, key…)`: the row stored by a `table` action, or nil.
    public var getTable: @Sendable (_ table: String, _ keys: [JSONValue]) throws -> JSONValue?
    /// `newuuid()`.
    public var newUUID: @Sendable () -> String

    public init(
        getThingShadow: @escaping @Sendable (String, String?) throws -> JSONValue? = { _, _ in nil },
        getTable: @escaping @Sendable (String, [JSONValue]) throws -> JSONValue? = { _, _ in nil },
        newUUID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.getThingShadow = getThingShadow
        self.getTable = getTable
        self.newUUID = newUUID
    }

    /// No shadows, no tables: what `rules test` and unit tests use.
    public static let standalone = RuleEnvironment()
}

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

/// What an expression is evaluated against: the message, the environment and the document
/// whose members bare names refer to (the payload, or the element in a nested query).
/// It points at the message and environment instead of copying them: copying retains every
/// string, array and closure they hold, which was a quarter of an evaluation's time.
/// A Scope exists only inside `Scope.run`, while both pointees are alive.
struct Scope {
    private let messagePointer: UnsafePointer<RuleMessage>
    private let environmentPointer: UnsafePointer<RuleEnvironment>
    let document: JSONValue?

    var message: RuleMessage { unsafeAddress { messagePointer } }
    var environment: RuleEnvironment { unsafeAddress { environmentPointer } }

    func with(document: JSONValue?) -> Scope {
        Scope(messagePointer: messagePointer, environmentPointer: environmentPointer, document: document)
    }

    private init(messagePointer: UnsafePointer<RuleMessage>, environmentPointer: UnsafePointer<RuleEnvironment>, document: JSONValue?) {
        self.messagePointer = messagePointer
        self.environmentPointer = environmentPointer
        self.document = document
    }

    /// Runs `body` with a scope over the message's payload.
    static func run<R>(
        _ message: RuleMessage, _ environment: RuleEnvironment, _ body: (Scope) throws(RuleEvaluationError) -> R
    ) throws(RuleEvaluationError) -> R {
        try withUnsafePointer(to: message) { (m) throws(RuleEvaluationError) -> R in
            try withUnsafePointer(to: environment) { (e) throws(RuleEvaluationError) -> R in
                try body(Scope(messagePointer: m, environmentPointer: e, document: m.pointee.payload))
            }
        }
    }
}

typealias Evaluator = @Sendable (Scope) throws(RuleEvaluationError) -> JSONValue?
