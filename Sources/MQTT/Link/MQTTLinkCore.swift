#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The part of an `MQTTLink` shared by its callers and its thread: the locked state, the wake-up
/// eventfd and the counters. The link thread holds this, not the `MQTTLink`, so dropping the last
/// `MQTTLink` reference can close the link.
final class MQTTLinkCore: Sendable {
    let configuration: MQTTLink.Configuration
    let logger: Logger
    let counters = MQTTLinkCounters()
    let state: Locked<MQTTLinkState>
    /// Written by other threads to wake the link thread from `poll`.
    let wakeFD: Int32
    let inflightLimit: Int
    /// Set when `configuration.tls` is.
    let tlsContext: LinkTLSContext?

    /// Thread-specific value: the core whose link thread is running.
    static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    init(configuration: MQTTLink.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        inflightLimit = configuration.inflightLimit
        tlsContext = configuration.tls.map(LinkTLSContext.init)
        state = Locked(MQTTLinkState(counters: counters, v5: configuration.v5))
        wakeFD = LinkSocket.makeEventFD()
    }

    deinit {
        Glibc.close(wakeFD)
    }

    var isLinkThread: Bool {
        pthread_getspecific(Self.threadKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    private var closedError: MQTTError { .closed(clientID: configuration.clientID) }

    func wakeLinkThread() {
        counters.wakeUps.add(1)
        LinkSocket.signal(eventFD: wakeFD)
    }

    /// Calls the connection event handler (on the calling thread, without the lock).
    func emit(_ events: [MQTTConnectionEvent]) {
        guard let handler = state.withLock({ $0.eventHandler }) else { return }
        for event in events { handler(event) }
    }

    // MARK: Caller side

    func connect(_ continuation: CheckedContinuation<Void, any Error>) {
        let refusal = state.withLock { state -> MQTTError? in
            switch state.phase {
            case .idle:
                state.phase = .connecting(initial: true)
                state.connectContinuation = continuation
                state.threadRunning = true
                return nil
            case .closing, .closed:
                return closedError
            case .connecting, .connected, .waitingToReconnect:
                return .alreadyConnected(clientID: configuration.clientID)
            }
        }
        if let refusal {
            continuation.resume(throwing: refusal)
        } else {
            startThread()
        }
    }

    func publish(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool) throws(MQTTError) {
        let onLinkThread = isLinkThread
        // The link thread never waits for itself to drain the buffer: that would deadlock.
        let wake = try state.withLock(waitingWhile: { !onLinkThread && $0.mustThrottle }) { (state: inout MQTTLinkState) throws(MQTTError) -> Bool in
            if state.phase == .closing || state.phase == .closed { throw closedError }
            let added = state.publish(topic: topic, payload: payload, qos: qos, retain: retain, inflightLimit: inflightLimit)
            return added && state.needsWakeUp(onLinkThread: onLinkThread)
        }
        if wake { wakeLinkThread() }
    }

    func request(_ kind: LinkRequest.Kind, filter: String, _ continuation: CheckedContinuation<Void, any Error>) {
        let onLinkThread = isLinkThread
        let outcome = state.withLock { state -> Result<Bool, MQTTError> in
            switch state.phase {
            case .idle:
                return .failure(.notConnected(clientID: configuration.clientID))
            case .closing, .closed:
                return .failure(closedError)
            case .connecting, .waitingToReconnect:
                state.requests.append(LinkRequest(kind: kind, filter: filter, continuation: continuation))
                return .success(false)
            case .connected:
                state.requests.append(LinkRequest(kind: kind, filter: filter, continuation: continuation))
                guard state.issueRequest(at: state.requests.count - 1) else {
                    state.requests.removeLast()
                    return .failure(.subscribeFailed(filter: filter, reason: "all 65,535 packet ids are in use"))
                }
                return .success(state.needsWakeUp(onLinkThread: onLinkThread))
            }
        }
        switch outcome {
        case .failure(let error): continuation.resume(throwing: error)
        case .success(let wake): if wake { wakeLinkThread() }
        }
    }

    func flush(_ continuation: CheckedContinuation<Void, Never>) {
        let done = state.withLock { state -> Bool in
            if state.phase == .closed || (state.inflight.isEmpty && state.queued.isEmpty) { return true }
            state.flushWaiters.append((state.lastSequence, continuation))
            return false
        }
        if done { continuation.resume() }
    }

    /// Starts closing; `waiter` (if any) is resumed once the link is closed.
    func close(waiter: CheckedContinuation<Void, Never>?) {
        enum Step { case alreadyClosed, waiting, wakeThread, closedNow(MQTTLinkLeftovers) }
        let step = state.withLockWakingWaiters { state -> Step in
            switch state.phase {
            case .closed:
                return .alreadyClosed
            case .closing:
                if let waiter { state.closeWaiters.append(waiter) }
                return .waiting
            case .idle:
                if let waiter { state.closeWaiters.append(waiter) }
                return .closedNow(state.close())
            case .connecting, .connected, .waitingToReconnect:
                state.phase = .closing
                if let waiter { state.closeWaiters.append(waiter) }
                return .wakeThread
            }
        }
        switch step {
        case .alreadyClosed: waiter?.resume()
        case .waiting: break
        case .wakeThread: wakeLinkThread()
        case .closedNow(let leftovers): answer(leftovers)
        }
    }

    /// Answers everything a closed link still owes: waiters fail with `closed` or finish, then `.closed`.
    func answer(_ leftovers: MQTTLinkLeftovers) {
        leftovers.connect?.resume(throwing: closedError)
        for request in leftovers.requests { request.resume(throwing: closedError) }
        for flush in leftovers.flushes { flush.resume() }
        leftovers.eventHandler?(.closed)
        for waiter in leftovers.closes { waiter.resume() }
    }

    // MARK: Link thread side

    /// Swaps the pending `outgoing` bytes (after appending `responses`) into `batch`, which must be
    /// empty; false when there is nothing to write, after which publishers wake the thread again.
    func takeOutgoing(into batch: inout [UInt8], adding responses: inout [UInt8]) -> Bool {
        state.withLockWakingWaiters { state in
            if !responses.isEmpty {
                state.outgoing.append(contentsOf: responses)
                responses.removeAll(keepingCapacity: true)
            }
            guard !state.outgoing.isEmpty else {
                state.wakeUpPending = false
                state.batchInWriting = 0
                return false
            }
            swap(&batch, &state.outgoing)
            state.batchInWriting = batch.count
            return true
        }
    }

    private func startThread() {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let core = Unmanaged<MQTTLinkCore>.fromOpaque(raw!).takeRetainedValue()
            MQTTLinkThread(core: core).run()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(rc == 0, "pthread_create failed: \(String(cString: strerror(rc)))")
    }
}
