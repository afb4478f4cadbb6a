#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMosquitto

/// Why an MQTT operation failed; `description` is a sentence naming the broker, topic or filter involved.
public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker answered CONNACK with a refusal (`reason` says why, e.g. bad username or password).
    case connectionRefused(broker: String, reason: String)
    /// No connection could be made (TCP or TLS error, name resolution).
    case connectFailed(broker: String, reason: String)
    /// No CONNACK arrived within the configured connect timeout.
    case connectTimedOut(broker: String, seconds: Double)
    /// The operation needs a connection the client has not made yet.
    case notConnected(clientID: String)
    /// `connect()` was called while a connection exists or is being made.
    case alreadyConnected(clientID: String)
    /// `disconnect()` was called; the client cannot be used again.
    case closed(clientID: String)
    /// The topic name is empty, too long, or contains a wildcard.
    case invalidTopic(String)
    /// The topic filter has a misplaced `#` or `+`.
    case invalidFilter(String)
    /// libmosquitto rejected the publish before sending it.
    case publishFailed(topic: String, reason: String)
    /// An MQTT 5 broker acknowledged the publish with a failure reason code (0x80 or higher).
    case publishRejected(topic: String, reasonCode: Int32)
    /// The broker answered SUBACK 0x80 (failure), typically denied by its ACL.
    case subscribeRefused(filter: String)
    /// libmosquitto rejected a subscribe or unsubscribe request before sending it.
    case subscribeFailed(filter: String, reason: String)
    /// A configuration value (TLS files, protocol option, credentials) was rejected by libmosquitto.
    case invalidConfiguration(field: String, reason: String)

    public var description: String {
        switch self {
        case .connectionRefused(let broker, let reason):
            return "The broker at \(broker) refused the connection: \(reason)."
        case .connectFailed(let broker, let reason):
            return "Could not connect to \(broker): \(reason)."
        case .connectTimedOut(let broker, let seconds):
            return "Could not connect to \(broker): no answer (CONNACK) within \(seconds) seconds."
        case .notConnected(let id):
            return "The MQTT client '\(id)' is not connected; call connect() first."
        case .alreadyConnected(let id):
            return "The MQTT client '\(id)' is already connected or connecting."
        case .closed(let id):
            return "The MQTT client '\(id)' was disconnected and cannot be used again; create a new client."
        case .invalidTopic(let topic):
            return "'\(topic)' is not a valid topic to publish to: it must be non-empty UTF-8 without '+' or '#'."
        case .invalidFilter(let filter):
            return "'\(filter)' is not a valid topic filter: '#' must be last and alone in its level, '+' alone in its level."
        case .publishFailed(let topic, let reason):
            return "Publishing to '\(topic)' failed: \(reason)."
        case .publishRejected(let topic, let code):
            return "The broker rejected the publish to '\(topic)' with reason code \(code) (\(Self.reasonString(code)))."
        case .subscribeRefused(let filter):
            return "The broker refused the subscription to '\(filter)' (SUBACK 0x80); check the ACL for this user."
        case .subscribeFailed(let filter, let reason):
            return "Subscribing to '\(filter)' failed: \(reason)."
        case .invalidConfiguration(let field, let reason):
            return "The MQTT client configuration field '\(field)' was rejected: \(reason)."
        }
    }

    /// libmosquitto's text for an `MOSQ_ERR_*` code, without a trailing period.
    static func libraryReason(_ rc: Int32, errno savedErrno: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(savedErrno)) }
        if rc == MOSQ_ERR_EAI.rawValue { return String(cString: gai_strerror(savedErrno)) }
        var text = String(cString: mosquitto_strerror(rc))
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func reasonString(_ code: Int32) -> String {
        var text = String(cString: mosquitto_reason_string(code))
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The refusal reason for a CONNACK code (MQTT 3.1.1 return codes or MQTT 5 reason codes).
    static func connackReason(_ code: Int32, v5: Bool) -> String {
        if !v5 {
            switch code {
            case 1: return "unacceptable protocol version"
            case 2: return "client identifier rejected"
            case 3: return "server unavailable"
            case 4: return "bad username or password"
            case 5: return "not authorised (bad username or password)"
            default: return "unknown CONNACK return code \(code)"
            }
        }
        switch code {
        case 0x86: return "bad username or password"
        case 0x87: return "not authorised (bad username or password)"
        default: return reasonString(code).lowercased() + " (reason code \(code))"
        }
    }
}
