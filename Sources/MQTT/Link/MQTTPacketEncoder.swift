/// MQTT control packet types (3.1.1 and 5): the high nibble of a packet's first byte.
enum MQTTPacketType: UInt8 {
    case connect = 1
    case connack
    case publish
    case puback
    case pubrec
    case pubrel
    case pubcomp
    case subscribe
    case suback
    case unsubscribe
    case unsuback
    case pingreq
    case pingresp
    case disconnect
}

/// Appends MQTT 3.1.1 or MQTT 5 (`v5`) packets to a byte buffer, so many packets can leave in one
/// `write`. The link sends MQTT 5 packets without properties, except the session expiry in CONNECT.
/// Acknowledgements without a reason code, PINGREQ and DISCONNECT are the same in both versions.
enum MQTTPacketEncoder {
    /// The largest remaining length a fixed header can express (MQTT 3.1.1 §2.2.3).
    static let maxRemainingLength = 268_435_455

    static func appendConnect(
        to buffer: inout [UInt8], clientID: String, username: String?, password: String?, keepAlive: UInt16, cleanSession: Bool,
        v5: Bool
    ) {
        // MQTT 3.1.1 §3.1.2.9: a password needs the user name flag, so it goes with an empty user name.
        let user = username ?? (password != nil ? "" : nil)
        var flags: UInt8 = cleanSession ? 0x02 : 0
        // MQTT 5 §3.1.2.11.2: without a Session Expiry Interval the session ends with the connection,
        // so a persistent session asks for one that never expires (0xFFFFFFFF).
        let properties: [UInt8] = !v5 ? [] : cleanSession ? [0] : [5, 0x11, 0xFF, 0xFF, 0xFF, 0xFF]
        var remaining = 10 + properties.count + 2 + clientID.utf8.count
        if let user {
            flags |= 0x80
            remaining += 2 + user.utf8.count
        }
        if let password {
            flags |= 0x40
            remaining += 2 + password.utf8.count
        }
        buffer.append(MQTTPacketType.connect.rawValue << 4)
        appendRemainingLength(remaining, to: &buffer)
        appendString("MQTT", to: &buffer)
        buffer.append(v5 ? 5 : 4)
        buffer.append(flags)
        appendUInt16(keepAlive, to: &buffer)
        buffer.append(contentsOf: properties)
        appendString(clientID, to: &buffer)
        if let user { appendString(user, to: &buffer) }
        if let password { appendString(password, to: &buffer) }
    }

    /// The remaining length of a PUBLISH, or nil when it exceeds what MQTT can carry.
    static func publishRemainingLength(topic: String, payloadCount: Int, qos: MQTTQoS, v5: Bool) -> Int? {
        let length = 2 + topic.utf8.count + (qos == .atMostOnce ? 0 : 2) + (v5 ? 1 : 0) + payloadCount
        return length <= maxRemainingLength ? length : nil
    }

    /// Appends a PUBLISH; `topic` must be valid and the size checked with `publishRemainingLength`.
    static func appendPublish(
        to buffer: inout [UInt8], topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, dup: Bool, packetID: UInt16,
        v5: Bool
    ) {
        let remaining = 2 + topic.utf8.count + (qos == .atMostOnce ? 0 : 2) + (v5 ? 1 : 0) + payload.count
        var first = MQTTPacketType.publish.rawValue << 4 | UInt8(qos.rawValue) << 1
        if retain { first |= 0x01 }
        if dup { first |= 0x08 }
        buffer.append(first)
        appendRemainingLength(remaining, to: &buffer)
        appendString(topic, to: &buffer)
        if qos != .atMostOnce { appendUInt16(packetID, to: &buffer) }
        if v5 { buffer.append(0) }
        buffer.append(contentsOf: payload)
    }

    /// Appends PUBACK, PUBREC or PUBCOMP (the acknowledgements the link sends; it never sends PUBREL).
    static func appendAcknowledgement(_ type: MQTTPacketType, packetID: UInt16, to buffer: inout [UInt8]) {
        buffer.append(type.rawValue << 4)
        buffer.append(2)
        appendUInt16(packetID, to: &buffer)
    }

    /// `noLocal` (MQTT 5 only, §3.8.3.1): the broker does not send this connection its own publishes.
    static func appendSubscribe(to buffer: inout [UInt8], packetID: UInt16, filter: String, qos: MQTTQoS, noLocal: Bool, v5: Bool) {
        buffer.append(MQTTPacketType.subscribe.rawValue << 4 | 0x02)
        appendRemainingLength(2 + (v5 ? 1 : 0) + 2 + filter.utf8.count + 1, to: &buffer)
        appendUInt16(packetID, to: &buffer)
        if v5 { buffer.append(0) }
        appendString(filter, to: &buffer)
        buffer.append(UInt8(qos.rawValue) | (v5 && noLocal ? 0x04 : 0))
    }

    static func appendUnsubscribe(to buffer: inout [UInt8], packetID: UInt16, filter: String, v5: Bool) {
        buffer.append(MQTTPacketType.unsubscribe.rawValue << 4 | 0x02)
        appendRemainingLength(2 + (v5 ? 1 : 0) + 2 + filter.utf8.count, to: &buffer)
        appendUInt16(packetID, to: &buffer)
        if v5 { buffer.append(0) }
        appendString(filter, to: &buffer)
    }

    /// Appends a packet without variable header or payload (PINGREQ, DISCONNECT).
    static func appendHeaderOnly(_ type: MQTTPacketType, to buffer: inout [UInt8]) {
        buffer.append(type.rawValue << 4)
        buffer.append(0)
    }

    private static func appendRemainingLength(_ length: Int, to buffer: inout [UInt8]) {
        var rest = length
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest > 0 { byte |= 0x80 }
            buffer.append(byte)
        } while rest > 0
    }

    private static func appendUInt16(_ value: UInt16, to buffer: inout [UInt8]) {
        buffer.append(UInt8(value >> 8))
        buffer.append(UInt8(value & 0xFF))
    }

    /// A length-prefixed UTF-8 string; callers keep strings within 65,535 bytes.
    private static func appendString(_ string: String, to buffer: inout [UInt8]) {
        appendUInt16(UInt16(string.utf8.count), to: &buffer)
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
    }
}
