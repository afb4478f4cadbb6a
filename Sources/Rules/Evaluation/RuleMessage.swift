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
