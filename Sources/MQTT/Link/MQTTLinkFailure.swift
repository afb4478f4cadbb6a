#if canImport(Glibc)
import Glibc
#endif

/// Why the link thread dropped a connection (or a connection attempt).
enum MQTTLinkFailure {
    /// `read()` returned 0.
    case closedByBroker
    /// A socket call failed with this errno.
    case socket(errno: Int32)
    /// TLS failed (the handshake, or a record on an established connection).
    case tls(String)
    /// Nothing arrived from the broker for 1.5 times the keepalive.
    case keepAliveExpired(seconds: Int)
    /// The broker sent a packet larger than `maxPacketSize`.
    case packetTooLarge(size: Int, limit: Int)
    /// The broker sent something the protocol does not allow here.
    case protocolViolation(String)
    /// MQTT 5: the broker ended the connection with DISCONNECT and this reason code.
    case disconnectedByBroker(reasonCode: UInt8)

    /// The reason as a sentence naming the broker, for `.disconnected(reason:)` and the log.
    func sentence(broker: String) -> String {
        switch self {
        case .closedByBroker:
            return "The broker at \(broker) closed the connection."
        case .socket(let code):
            return "The connection to \(broker) failed: \(String(cString: strerror(code)))."
        case .tls(let reason):
            return "The TLS connection to \(broker) failed: \(reason)."
        case .keepAliveExpired(let seconds):
            return "The broker at \(broker) sent nothing for 1.5 times the keepalive of \(seconds) s."
        case .packetTooLarge(let size, let limit):
            return "The broker at \(broker) sent a packet of \(size) bytes, more than maxPacketSize (\(limit) bytes); the connection was closed."
        case .protocolViolation(let detail):
            return "The broker at \(broker) broke the MQTT protocol (\(detail)); the connection was closed."
        case .disconnectedByBroker(let code):
            return "The broker at \(broker) disconnected the link (MQTT 5 reason code 0x\(String(code, radix: 16)))."
        }
    }

    /// The reason inside `MQTTError.connectFailed` when this ends a connection attempt.
    var connectReason: String {
        switch self {
        case .closedByBroker: return "the broker closed the connection before answering CONNECT"
        case .socket(let code): return String(cString: strerror(code))
        case .tls(let reason): return "TLS failed: \(reason)"
        case .keepAliveExpired: return "no answer to CONNECT"
        case .packetTooLarge(let size, let limit): return "the broker sent a packet of \(size) bytes, more than maxPacketSize (\(limit) bytes)"
        case .protocolViolation(let detail): return "the broker broke the MQTT protocol (\(detail))"
        case .disconnectedByBroker(let code): return "the broker sent DISCONNECT (reason code 0x\(String(code, radix: 16)))"
        }
    }
}
