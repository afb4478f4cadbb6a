/// An outgoing QoS 1 message, kept until the broker acknowledges it.
struct OutgoingPublish {
    var topic: String
    var payload: [UInt8]
    var retain: Bool
    /// Position among all QoS 1 publishes of the link; resends and `flush()` go by it.
    var sequence: UInt64
    /// Written on some connection already, so a resend carries DUP.
    var sent = false
}

/// A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement.
struct LinkRequest {
    enum Kind: Equatable {
        case subscribe(MQTTQoS, noLocal: Bool)
        case unsubscribe
    }

    var kind: Kind
    var filter: String
    /// Nil for the re-subscriptions the link makes by itself after reconnecting.
    var continuation: CheckedContinuation<Void, any Error>?
    /// Set while the request is sent on the current connection.
    var packetID: UInt16?
}

/// QoS 1 publishes beyond `maxInflight`, first in first out.
struct PublishQueue {
    // Taken slots are set to nil at once so their payloads are freed; the array is compacted lazily.
    private var items: [OutgoingPublish?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var first: OutgoingPublish? { isEmpty ? nil : items[head] }

    mutating func append(_ item: OutgoingPublish) {
        items.append(item)
    }

    mutating func popFirst() -> OutgoingPublish? {
        guard !isEmpty else { return nil }
        let item = items[head]
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// Puts `items` (in order) ahead of everything queued.
    mutating func prepend(_ items: [OutgoingPublish]) {
        guard !items.isEmpty else { return }
        self.items = items.map(Optional.some) + self.items[head...]
        head = 0
    }

    mutating func removeAll() {
        items = []
        head = 0
    }
}

/// Everything shared between callers and the link thread, behind `MQTTLinkCore.state`'s lock.
/// The lock is never held while calling handlers, resuming continuations or doing socket I/O.
struct MQTTLinkState {
    /// Outgoing bytes above this make publishers on other threads wait until the link thread drains them.
    static let outgoingLimit = 64 << 20

    let counters: MQTTLinkCounters
    var phase = ConnectionPhase.idle
    /// True from `connect()` starting the link thread until that thread ends.
    var threadRunning = false
    /// True while the link thread is sure to look at `outgoing` before it blocks again (it is awake,
    /// or an eventfd wake-up is on its way), so publishers need not write the eventfd.
    var wakeUpPending = false
    /// Encoded packets for the current connection, written by the link thread in one `send`.
    /// Only filled while `phase == .connected`.
    var outgoing: [UInt8] = []
    /// Bytes of the batch the link thread took from `outgoing` and has not finished sending; they
    /// count toward `outgoingLimit` too, or a stalled socket would let twice the limit pile up.
    var batchInWriting = 0

    var inflight: [UInt16: OutgoingPublish] = [:]
    var queued = PublishQueue()
    var lastPacketID: UInt16 = 0
    var lastSequence: UInt64 = 0
    var flushWaiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, Never>)] = []

    /// Acknowledged subscriptions, re-subscribed after every reconnect.
    var subscriptions: [(filter: String, qos: MQTTQoS, noLocal: Bool)] = []
    var requests: [LinkRequest] = []

    var reconnectCount = 0
    /// MQTT 5 Receive Maximum of the current connection (`Int.max` over MQTT 3.1.1).
    var serverReceiveMaximum = Int.max
    var failedAttempts = 0
    var connectContinuation: CheckedContinuation<Void, any Error>?
    var closeWaiters: [CheckedContinuation<Void, Never>] = []

    var messageHandler: (@Sendable (MQTTMessage) -> Void)?
    var batchEndHandler: (@Sendable () -> Void)?
    var eventHandler: (@Sendable (MQTTConnectionEvent) -> Void)?

    /// Packets are encoded as MQTT 5.
    let v5: Bool

    init(counters: MQTTLinkCounters, v5: Bool) {
        self.counters = counters
        self.v5 = v5
    }

    /// A publisher on another thread must wait: the link thread has not caught up with `outgoing`.
    var mustThrottle: Bool { phase == .connected && outgoing.count + batchInWriting >= Self.outgoingLimit }

    /// After adding to `outgoing`: true when the caller must write the eventfd.
    mutating func needsWakeUp(onLinkThread: Bool) -> Bool {
        if onLinkThread || wakeUpPending { return false }
        wakeUpPending = true
        return true
    }

    // MARK: Publishing

    /// Queues a validated publish; true when bytes were added to `outgoing`.
    mutating func publish(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, inflightLimit: Int) -> Bool {
        let inflightLimit = min(inflightLimit, serverReceiveMaximum)
        if qos == .atMostOnce {
            guard phase == .connected else {
                counters.droppedQoS0.add(1)
                return false
            }
            MQTTPacketEncoder.appendPublish(
                to: &outgoing, topic: topic, payload: payload, qos: qos, retain: retain, dup: false, packetID: 0, v5: v5)
            counters.packetsOut.add(1)
            return true
        }
        lastSequence += 1
        var message = OutgoingPublish(topic: topic, payload: payload, retain: retain, sequence: lastSequence)
        guard queued.isEmpty, inflight.count < inflightLimit, let id = nextPacketID() else {
            queued.append(message)
            return false
        }
        let sendNow = phase == .connected
        if sendNow { encode(&message, packetID: id) }
        inflight[id] = message
        return sendNow
    }

    private mutating func encode(_ message: inout OutgoingPublish, packetID: UInt16) {
        MQTTPacketEncoder.appendPublish(
            to: &outgoing, topic: message.topic, payload: message.payload, qos: .atLeastOnce,
            retain: message.retain, dup: message.sent, packetID: packetID, v5: v5
        )
        message.sent = true
        counters.packetsOut.add(1)
    }

    /// Moves queued publishes into flight (and into `outgoing` when connected) while there is room.
    mutating func promoteQueued(inflightLimit: Int) {
        let inflightLimit = min(inflightLimit, serverReceiveMaximum)
        while !queued.isEmpty, inflight.count < inflightLimit, let id = nextPacketID() {
            var message = queued.popFirst()!
            if phase == .connected { encode(&message, packetID: id) }
            inflight[id] = message
        }
    }

    /// Handles PUBACKs: frees their ids, sends queued publishes, and returns the `flush()` calls now done.
    mutating func acknowledge(_ packetIDs: [UInt16], inflightLimit: Int) -> [CheckedContinuation<Void, Never>] {
        var count = 0
        for id in packetIDs where inflight.removeValue(forKey: id) != nil {
            count += 1
        }
        counters.acknowledged.add(count)
        promoteQueued(inflightLimit: inflightLimit)
        return takeFinishedFlushWaiters()
    }

    /// The `flush()` waiters whose publishes have all been acknowledged.
    mutating func takeFinishedFlushWaiters() -> [CheckedContinuation<Void, Never>] {
        guard !flushWaiters.isEmpty else { return [] }
        let oldestPending = min(inflight.values.lazy.map(\.sequence).min() ?? .max, queued.first?.sequence ?? .max)
        var finished: [CheckedContinuation<Void, Never>] = []
        flushWaiters.removeAll { waiter in
            guard waiter.sequence < oldestPending else { return false }
            finished.append(waiter.continuation)
            return true
        }
        return finished
    }

    /// The next packet id not used by a publish in flight or a request (nil if all 65,535 are).
    mutating func nextPacketID() -> UInt16? {
        for _ in 0..<65535 {
            lastPacketID = lastPacketID == 65535 ? 1 : lastPacketID + 1
            let id = lastPacketID
            if inflight[id] == nil && !requests.contains(where: { $0.packetID == id }) { return id }
        }
        return nil
    }

    // MARK: Subscribing

    /// Gives `requests[index]` a packet id and encodes it; false when no id is free.
    mutating func issueRequest(at index: Int) -> Bool {
        guard let id = nextPacketID() else { return false }
        requests[index].packetID = id
        let request = requests[index]
        switch request.kind {
        case .subscribe(let qos, let noLocal):
            MQTTPacketEncoder.appendSubscribe(to: &outgoing, packetID: id, filter: request.filter, qos: qos, noLocal: noLocal, v5: v5)
        case .unsubscribe:
            MQTTPacketEncoder.appendUnsubscribe(to: &outgoing, packetID: id, filter: request.filter, v5: v5)
        }
        counters.packetsOut.add(1)
        return true
    }

    /// Handles SUBACK (`returnCode` < 0x80 grants) or UNSUBACK (nil); returns the finished request.
    mutating func completeRequest(packetID: UInt16, returnCode: UInt8?) -> LinkRequest? {
        guard let index = requests.firstIndex(where: { $0.packetID == packetID }) else { return nil }
        let request = requests.remove(at: index)
        let existing = subscriptions.firstIndex { $0.filter == request.filter }
        switch request.kind {
        case .subscribe(let qos, let noLocal):
            guard let code = returnCode, code < 0x80 else { break }
            if let existing {
                subscriptions[existing].qos = qos
                subscriptions[existing].noLocal = noLocal
            } else {
                subscriptions.append((request.filter, qos, noLocal))
            }
        case .unsubscribe:
            if let existing { subscriptions.remove(at: existing) }
        }
        return request
    }

    // MARK: Connection changes (link thread)

    /// CONNACK accepted: re-subscribes, resends publishes in flight, then queued ones, in that order.
    /// Returns nil when the link is closing; otherwise the `connect()` waiter and the requests that
    /// found no free packet id.
    mutating func connectionAccepted(inflightLimit: Int, receiveMaximum: Int = .max)
        -> (continuation: CheckedContinuation<Void, any Error>?, unsent: [LinkRequest])?
    {
        guard case .connecting(let initial) = phase else { return nil }
        phase = .connected
        failedAttempts = 0
        if !initial { reconnectCount += 1 }
        let continuation = connectContinuation
        connectContinuation = nil
        outgoing.removeAll(keepingCapacity: true)
        batchInWriting = 0
        // Re-subscribe even when the broker reports a present session: a broker restored from an
        // older snapshot of its persistence file has a session without the newest subscriptions.
        requests = subscriptions.map { LinkRequest(kind: .subscribe($0.qos, noLocal: $0.noLocal), filter: $0.filter) } + requests
        var unsent: [LinkRequest] = []
        var index = 0
        while index < requests.count {
            if issueRequest(at: index) {
                index += 1
            } else {
                unsent.append(requests.remove(at: index))
            }
        }
        serverReceiveMaximum = receiveMaximum
        var resend = inflight.sorted(by: { $0.value.sequence < $1.value.sequence })
        let limit = min(inflightLimit, receiveMaximum)
        if resend.count > limit {
            // The broker takes fewer in flight now: the newest wait again, ahead of the queue.
            for (id, _) in resend[limit...] { inflight[id] = nil }
            queued.prepend(resend[limit...].map(\.value))
            resend.removeLast(resend.count - limit)
        }
        for (id, message) in resend {
            var resent = message
            encode(&resent, packetID: id)
            inflight[id] = resent
        }
        promoteQueued(inflightLimit: inflightLimit)
        return (continuation, unsent)
    }

    /// A connection, or a reconnect attempt, failed: drops unsent QoS 0 bytes, keeps requests for the
    /// next connection and returns the reconnect attempt number and delay (nil when closing).
    mutating func connectionLost(minDelay: Duration, maxDelay: Duration) -> (attempt: Int, delay: Duration)? {
        guard phase == .connected || phase == .connecting(initial: false) else { return nil }
        phase = .waitingToReconnect
        outgoing.removeAll(keepingCapacity: true)
        batchInWriting = 0
        requests.removeAll { $0.continuation == nil }
        for index in requests.indices { requests[index].packetID = nil }
        failedAttempts += 1
        let minimum = Double(MQTTEventLoop.nanoseconds(minDelay))
        let maximum = max(Double(MQTTEventLoop.nanoseconds(maxDelay)), minimum)
        let base = min(minimum * Double(1 << min(failedAttempts - 1, 30)), maximum)
        // Jitter keeps many links that lost the same broker from reconnecting in lockstep.
        let delay = Duration.nanoseconds(Int64(base * Double.random(in: 0.5...1.0)))
        return (failedAttempts, delay)
    }

    /// The first connection attempt failed: back to idle, the link thread ends. Returns the
    /// `connect()` waiter and the requests made meanwhile (nil when closing).
    mutating func initialAttemptFailed() -> (continuation: CheckedContinuation<Void, any Error>?, requests: [LinkRequest])? {
        guard phase == .connecting(initial: true) else { return nil }
        phase = .idle
        threadRunning = false
        let continuation = connectContinuation
        connectContinuation = nil
        let waiting = requests
        requests.removeAll()
        return (continuation, waiting)
    }

    /// Final: everything still waiting, to be answered by the caller outside the lock.
    mutating func close() -> MQTTLinkLeftovers {
        phase = .closed
        threadRunning = false
        let leftovers = MQTTLinkLeftovers(
            connect: connectContinuation, requests: requests.compactMap(\.continuation),
            flushes: flushWaiters.map(\.continuation), closes: closeWaiters, eventHandler: eventHandler
        )
        connectContinuation = nil
        requests.removeAll()
        flushWaiters.removeAll()
        closeWaiters.removeAll()
        outgoing = []
        inflight.removeAll()
        queued.removeAll()
        return leftovers
    }
}

/// What a closing link still owes its callers.
struct MQTTLinkLeftovers {
    var connect: CheckedContinuation<Void, any Error>?
    var requests: [CheckedContinuation<Void, any Error>]
    var flushes: [CheckedContinuation<Void, Never>]
    var closes: [CheckedContinuation<Void, Never>]
    var eventHandler: (@Sendable (MQTTConnectionEvent) -> Void)?
}
