#if canImport(Glibc)
import Glibc
#endif

// Reading: one `read()` per readable event into the large buffer, then every complete packet in it.
extension MQTTLinkThread {
    /// How handling one packet ended the chunk early.
    enum FrameOutcome {
        case failed(MQTTLinkFailure)
        case refused(MQTTError)
    }

    func handleSocket(_ revents: Int16) {
        switch stage {
        case .connectingTCP:
            if revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 { finishTCPConnect() }
        case .handshaking(_, let deadline):
            if revents & Int16(POLLIN | POLLOUT | POLLERR | POLLHUP) != 0 { continueHandshake(deadline: deadline) }
        case .awaitingConnack, .connected:
            if revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 { readChunk() }
        case .waiting, .finished:
            break
        }
    }

    /// Reads once, hands every complete packet over (messages to `onMessage`, then `onBatchEnd`),
    /// and stages the acknowledgements, which the flush that follows sends in one batch.
    private func readChunk() {
        let count: Int
        if let tls {
            core.counters.reads.add(1)
            let outcome = reader.read(from: tls)
            tlsBacklog = reader.isFull
            switch outcome {
            case .done(let bytes): count = bytes
            case .wouldBlock: return
            case .closed: drop(.closedByBroker); return
            case .failed(let reason): drop(.tls(reason)); return
            }
        } else {
            count = reader.read(from: fd)
            let code = errno
            core.counters.reads.add(1)
            guard count > 0 else {
                if count == 0 {
                    drop(.closedByBroker)
                } else if code != EAGAIN && code != EWOULDBLOCK && code != EINTR {
                    drop(.socket(errno: code))
                }
                return
            }
        }
        core.counters.bytesIn.add(count)
        lastRead = count
        lastReceived = MQTTEventLoop.now()
        let handlers = core.state.withLock { ($0.messageHandler, $0.batchEndHandler) }
        var consumed = 0
        var packets = 0
        var delivered = 0
        var neededSize: Int?
        var outcome: FrameOutcome?
        let bytes = reader.bytes
        scanning: while consumed < bytes.count {
            switch MQTTFrame.scan(bytes, from: consumed, maxPacketSize: configuration.maxPacketSize) {
            case .frame(let frame, let next):
                consumed = next
                packets += 1
                outcome = handle(frame, onMessage: handlers.0, delivered: &delivered)
                if outcome != nil { break scanning }
            case .incomplete(let size):
                neededSize = size
                break scanning
            case .tooLarge(let size):
                outcome = .failed(.packetTooLarge(size: size, limit: configuration.maxPacketSize))
                break scanning
            case .malformed:
                outcome = .failed(.protocolViolation("a remaining length longer than four bytes"))
                break scanning
            }
        }
        reader.consume(consumed)
        if let neededSize { reader.reserve(neededSize) }
        core.counters.packetsIn.add(packets)
        if delivered > 0 {
            core.counters.messagesIn.add(delivered)
            handlers.1?()
        }
        if !acknowledged.isEmpty {
            let finished = core.state.withLock { $0.acknowledge(acknowledged, inflightLimit: core.inflightLimit) }
            acknowledged.removeAll(keepingCapacity: true)
            for waiter in finished { waiter.resume() }
        }
        switch outcome {
        case .failed(let failure): drop(failure)
        case .refused(let error): attemptFailed(error)
        case nil: break
        }
    }

    /// Handles one packet; non-nil ends the chunk and the connection.
    private func handle(_ frame: MQTTFrame, onMessage: (@Sendable (MQTTMessage) -> Void)?, delivered: inout Int) -> FrameOutcome? {
        guard let type = frame.type else {
            return .failed(.protocolViolation("a packet of unknown type \(frame.typeCode)"))
        }
        if case .awaitingConnack = stage, type != .connack {
            return .failed(.protocolViolation("\(type) before CONNACK"))
        }
        switch type {
        case .connack:
            guard case .awaitingConnack = stage, let (sessionPresent, code) = frame.connack(v5: configuration.v5) else {
                return .failed(.protocolViolation("an unexpected or malformed CONNACK"))
            }
            guard code == 0 else {
                return .refused(.connectionRefused(broker: configuration.brokerAddress, reason: MQTTError.connackReason(Int32(code), v5: configuration.v5)))
            }
            var receiveMaximum = Int.max
            if configuration.v5 {
                guard let limit = frame.connackReceiveMaximum, limit > 0 else {
                    return .failed(.protocolViolation("a CONNACK with malformed properties"))
                }
                receiveMaximum = limit
            }
            connectionAccepted(sessionPresent: sessionPresent, receiveMaximum: receiveMaximum)
        case .publish:
            guard let publish = frame.publish(v5: configuration.v5) else { return .failed(.protocolViolation("a malformed PUBLISH")) }
            if deliver(publish, to: onMessage) { delivered += 1 }
        case .puback:
            guard let id = frame.packetID else { return .failed(.protocolViolation("a malformed PUBACK")) }
            // MQTT 5: a reason code of 0x80 or above means the broker refused the message. It is
            // done with all the same: resending it would be refused again.
            if configuration.v5 && frame.pubackReason >= 0x80 { core.counters.refused.add(1) }
            acknowledged.append(id)
        case .pubrel:
            guard let id = frame.packetID, frame.flags == 0x02 else { return .failed(.protocolViolation("a malformed PUBREL")) }
            awaitingRelease.remove(id)
            respond(.pubcomp, packetID: id)
        case .suback:
            guard let (id, code) = frame.suback(v5: configuration.v5) else { return .failed(.protocolViolation("a malformed SUBACK")) }
            requestAcknowledged(packetID: id, returnCode: code)
        case .unsuback:
            guard let id = frame.packetID else { return .failed(.protocolViolation("a malformed UNSUBACK")) }
            requestAcknowledged(packetID: id, returnCode: nil)
        case .pingresp:
            pingOutstanding = false
        case .disconnect where configuration.v5:
            return .failed(.disconnectedByBroker(reasonCode: frame.disconnectReason))
        case .connect, .pubrec, .pubcomp, .subscribe, .unsubscribe, .pingreq, .disconnect:
            return .failed(.protocolViolation("an unexpected \(type)"))
        }
        return nil
    }

    /// Calls `onMessage`, then stages the acknowledgement, so it leaves only after the handler
    /// returned; false for a repeated QoS 2 PUBLISH, which is only acknowledged again.
    private func deliver(_ publish: IncomingPublish, to onMessage: (@Sendable (MQTTMessage) -> Void)?) -> Bool {
        switch publish.qos {
        case .atMostOnce:
            onMessage?(publish.message)
        case .atLeastOnce:
            onMessage?(publish.message)
            respond(.puback, packetID: publish.packetID)
        case .exactlyOnce:
            // QoS 2, method B of MQTT 3.1.1 §4.3.3: deliver on the first PUBLISH, forget the id on PUBREL.
            let first = awaitingRelease.insert(publish.packetID).inserted
            if first { onMessage?(publish.message) }
            respond(.pubrec, packetID: publish.packetID)
            return first
        }
        return true
    }

    private func respond(_ type: MQTTPacketType, packetID: UInt16) {
        MQTTPacketEncoder.appendAcknowledgement(type, packetID: packetID, to: &responses)
        responseCount += 1
    }

    /// SUBACK (with its return code) or UNSUBACK (nil).
    private func requestAcknowledged(packetID: UInt16, returnCode: UInt8?) {
        guard let request = core.state.withLock({ $0.completeRequest(packetID: packetID, returnCode: returnCode) }) else { return }
        let refused = (returnCode ?? 0) >= 0x80
        if let continuation = request.continuation {
            if refused {
                continuation.resume(throwing: MQTTError.subscribeRefused(filter: request.filter))
            } else {
                continuation.resume()
            }
        } else if refused {
            core.logger.warning("The broker at \(configuration.brokerAddress) refused the re-subscription to '\(request.filter)' (SUBACK 0x80) after reconnecting.")
        }
    }
}
