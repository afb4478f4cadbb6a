/// One complete MQTT packet found in the read buffer; `body` points into that buffer and is valid
/// only until the buffer is compacted.
struct MQTTFrame {
    /// The first byte's high nibble (see `MQTTPacketType`; 0 and 15 are not valid packets).
    var typeCode: UInt8
    /// The first byte's low nibble.
    var flags: UInt8
    /// Everything after the fixed header.
    var body: UnsafeRawBufferPointer

    var type: MQTTPacketType? { MQTTPacketType(rawValue: typeCode) }

    /// What `scan` found at an offset of the read buffer.
    enum Scan {
        /// A complete packet; the next one starts at `next`.
        case frame(MQTTFrame, next: Int)
        /// More bytes are needed; `size` is the whole packet's size once the header is complete.
        case incomplete(size: Int?)
        /// The fixed header announces a packet of `size` bytes, more than allowed.
        case tooLarge(size: Int)
        /// The remaining length uses more than four bytes.
        case malformed
    }

    /// Finds the packet starting at `start` in `bytes` (MQTT 3.1.1 §2.2: type byte, then the
    /// remaining length in one to four 7-bit groups, least significant first).
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, maxPacketSize: Int) -> Scan {
        var index = start + 1
        var remaining = 0
        var shift = 0
        while true {
            guard index < bytes.count else { return .incomplete(size: nil) }
            let byte = bytes[index]
            index += 1
            remaining |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift == 28 { return .malformed }
        }
        let size = index - start + remaining
        if size > maxPacketSize { return .tooLarge(size: size) }
        guard bytes.count - index >= remaining else { return .incomplete(size: size) }
        let first = bytes[start]
        let body = UnsafeRawBufferPointer(rebasing: bytes[index..<index + remaining])
        return .frame(MQTTFrame(typeCode: first >> 4, flags: first & 0x0F, body: body), next: index + remaining)
    }

    /// The packet identifier of PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK (nil if the body is too short).
    var packetID: UInt16? {
        body.count >= 2 ? UInt16(body[0]) << 8 | UInt16(body[1]) : nil
    }

    /// CONNACK's session-present flag and return code (MQTT 5: reason code; its properties are skipped).
    func connack(v5: Bool) -> (sessionPresent: Bool, returnCode: UInt8)? {
        guard v5 ? body.count >= 3 : body.count == 2 else { return nil }
        return (body[0] & 0x01 != 0, body[1])
    }

    /// SUBACK's packet id and the return code of its (single) filter (MQTT 5: after the properties).
    func suback(v5: Bool) -> (packetID: UInt16, returnCode: UInt8)? {
        guard let id = packetID else { return nil }
        var offset = 2
        if v5 {
            guard let end = Self.skipProperties(body, at: offset) else { return nil }
            offset = end
        }
        guard body.count > offset else { return nil }
        return (id, body[offset])
    }

    /// The Receive Maximum property of an MQTT 5 CONNACK: how many QoS 1 and 2 publishes the broker
    /// takes unacknowledged (65,535 when absent); nil when the properties are malformed.
    var connackReceiveMaximum: Int? {
        guard body.count >= 3, let end = Self.skipProperties(body, at: 2) else { return nil }
        // The property block's own length prefix.
        var index = 2
        while body[index] & 0x80 != 0 { index += 1 }
        index += 1
        var receiveMaximum = 65_535
        while index < end {
            let id = body[index]
            index += 1
            let size: Int
            switch id {
            case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A: size = 1
            case 0x13, 0x21, 0x22, 0x23: size = 2
            case 0x02, 0x11, 0x18, 0x27: size = 4
            case 0x0B:
                guard let after = Self.skipVariableByteInteger(body, at: index) else { return nil }
                size = after - index
            case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F, 0x09, 0x16:
                guard end - index >= 2 else { return nil }
                size = 2 + (Int(body[index]) << 8 | Int(body[index + 1]))
            case 0x26:
                guard end - index >= 2 else { return nil }
                let key = 2 + (Int(body[index]) << 8 | Int(body[index + 1]))
                guard end - index >= key + 2 else { return nil }
                size = key + 2 + (Int(body[index + key]) << 8 | Int(body[index + key + 1]))
            default:
                return nil
            }
            guard end - index >= size else { return nil }
            if id == 0x21 { receiveMaximum = Int(body[index]) << 8 | Int(body[index + 1]) }
            index += size
        }
        return receiveMaximum
    }

    static func skipVariableByteInteger(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        var index = offset
        while index < bytes.count, index - offset < 4 {
            let byte = bytes[index]
            index += 1
            if byte & 0x80 == 0 { return index }
        }
        return nil
    }

    /// The reason code of an MQTT 5 PUBACK (0 when omitted; 0x80 and above: the broker refused the message).
    var pubackReason: UInt8 { body.count >= 3 ? body[2] : 0 }

    /// The reason code of an MQTT 5 DISCONNECT from the broker (0 when omitted).
    var disconnectReason: UInt8 { body.count >= 1 ? body[0] : 0 }

    /// The offset after an MQTT 5 property block (a variable byte integer length, then the
    /// properties) that starts at `offset`; nil when it does not fit into `bytes`.
    static func skipProperties(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        var index = offset
        var length = 0
        var shift = 0
        while true {
            guard index < bytes.count, shift < 28 else { return nil }
            let byte = bytes[index]
            index += 1
            length |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard bytes.count - index >= length else { return nil }
        return index + length
    }

    /// The parts of an incoming PUBLISH (nil when malformed: QoS 3, short body, missing packet id,
    /// MQTT 5 properties that do not fit). MQTT 5 properties are skipped: the link asks for no
    /// topic aliases, so the topic is always there.
    func publish(v5: Bool) -> IncomingPublish? {
        let qosBits = (flags >> 1) & 0x03
        guard let qos = MQTTQoS(rawValue: Int32(qosBits)), body.count >= 2 else { return nil }
        let topicLength = Int(body[0]) << 8 | Int(body[1])
        var offset = 2 + topicLength
        guard body.count >= offset else { return nil }
        var packetID: UInt16 = 0
        if qos != .atMostOnce {
            guard body.count >= offset + 2 else { return nil }
            packetID = UInt16(body[offset]) << 8 | UInt16(body[offset + 1])
            guard packetID != 0 else { return nil }
            offset += 2
        }
        if v5 {
            guard let end = Self.skipProperties(body, at: offset) else { return nil }
            offset = end
        }
        return IncomingPublish(
            topic: UnsafeRawBufferPointer(rebasing: body[2..<2 + topicLength]),
            payload: UnsafeRawBufferPointer(rebasing: body[offset...]),
            qos: qos, retain: flags & 0x01 != 0, packetID: packetID
        )
    }
}

/// A PUBLISH as it sits in the read buffer.
struct IncomingPublish {
    var topic: UnsafeRawBufferPointer
    var payload: UnsafeRawBufferPointer
    var qos: MQTTQoS
    var retain: Bool
    var packetID: UInt16

    /// The copy handed to `onMessage`.
    var message: MQTTMessage {
        MQTTMessage(
            topic: String(decoding: topic, as: UTF8.self), payload: [UInt8](payload),
            qos: qos, retain: retain, mid: Int32(packetID)
        )
    }
}
