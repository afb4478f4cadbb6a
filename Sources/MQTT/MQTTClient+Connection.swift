#if canImport(Glibc)
import Glibc
#endif
import CMosquitto

// The connection state machine. Everything here runs on the event loop thread, except
// `didPublish` (any thread for QoS 0) and `requestWriteCheckIfNeeded` (any publisher).
extension MQTTClient {
    private static let readBudget = 64
    private static let closeGrace: Duration = .seconds(2)

    private var closedError: MQTTError { .closed(clientID: configuration.clientID) }

    // MARK: Connecting

    func beginInitialConnect(_ continuation: CheckedContinuation<Void, any Error>) {
        if eventLoop.isShutDown {
            continuation.resume(throwing: closedError)
            return
        }
        let refusal = state.withLock { state -> MQTTError? in
            switch state.phase {
            case .closed, .closing: return closedError
            case .connecting, .connected, .waitingToReconnect: return .alreadyConnected(clientID: configuration.clientID)
            case .idle:
                state.phase = .connecting(initial: true)
                state.connectContinuation = continuation
                state.slot = eventLoop.register(self)
                return nil
            }
        }
        if let refusal {
            continuation.resume(throwing: refusal)
            return
        }
        startAttempt(initial: true)
    }

    private func startAttempt(initial: Bool) {
        let attempt = state.withLock { state -> UInt64 in
            state.attempt += 1
            state.refusal = nil
            return state.attempt
        }
        eventLoop.schedule(after: configuration.connectTimeout) { [self] in
            let seconds = Double(MQTTEventLoop.nanoseconds(configuration.connectTimeout)) / 1e9
            attemptFailed(attempt, .connectTimedOut(broker: configuration.brokerAddress, seconds: seconds))
        }
        errno = 0
        let rc: Int32
        if initial {
            rc = mosquitto_connect_bind_async(handle.pointer, configuration.host, Int32(configuration.port), Int32(configuration.keepAlive), nil)
        } else {
            rc = mosquitto_reconnect_async(handle.pointer)
        }
        let savedErrno = errno
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            let error: MQTTError = rc == MOSQ_ERR_INVAL.rawValue
                ? .invalidConfiguration(field: "keepAlive", reason: "host, port or keepAlive is out of range (keepAlive must be 0 or 5...65535)")
                : .connectFailed(broker: configuration.brokerAddress, reason: connectFailureReason(rc, errno: savedErrno))
            attemptFailed(attempt, error)
            return
        }
        let fd = mosquitto_socket(handle.pointer)
        // libmosquitto does not set close-on-exec; a child process (a function worker, the broker)
        // holding a copy would keep the connection, and its epoll registration, alive.
        if fd >= 0 { _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) }
        let slot = state.withLock { state -> Int in
            state.fd = fd
            state.outArmed = true
            return state.slot
        }
        if fd >= 0 { _ = eventLoop.watch(fd: fd, slot: slot, write: true) }
    }

    private func connectFailureReason(_ rc: Int32, errno savedErrno: Int32) -> String {
        if rc == MOSQ_ERR_TLS.rawValue {
            return "the TLS handshake failed (is the broker's certificate signed by the configured CA, and does it name the host?)"
        }
        return MQTTError.libraryReason(rc, errno: savedErrno)
    }

    /// Ends attempt `attempt` with `error` (ignored if that attempt is already over).
    private func attemptFailed(_ attempt: UInt64, _ error: MQTTError) {
        var events: [MQTTConnectionEvent] = []
        var failedContinuation: CheckedContinuation<Void, any Error>?
        let openFD = state.withLock { state -> Int32 in
            guard state.attempt == attempt, case .connecting(let initial) = state.phase else { return -1 }
            let fd = state.fd
            state.fd = -1
            state.outArmed = false
            if initial {
                state.phase = .idle
                failedContinuation = state.connectContinuation
                state.connectContinuation = nil
                eventLoop.deregister(slot: state.slot)
                state.slot = 0
                for request in state.queuedRequests {
                    request.continuation.resume(throwing: error)
                }
                state.queuedRequests.removeAll()
            } else {
                events.append(.disconnected(reason: error.description))
                events.append(scheduleReconnect(&state))
            }
            return fd
        }
        // The socket is still open (libmosquitto closes it on the next attempt or in destroy).
        if openFD >= 0 { eventLoop.unwatch(fd: openFD) }
        failedContinuation?.resume(throwing: error)
        emit(events)
    }

    private func scheduleReconnect(_ state: inout State) -> MQTTConnectionEvent {
        state.failedAttempts += 1
        state.phase = .waitingToReconnect
        let minimum = Double(MQTTEventLoop.nanoseconds(configuration.reconnectMinDelay))
        let maximum = Double(MQTTEventLoop.nanoseconds(configuration.reconnectMaxDelay))
        let base = min(minimum * Double(1 << min(state.failedAttempts - 1, 30)), max(maximum, minimum))
        // Jitter spreads the reconnects of many clients that lost the same broker.
        let delay = Duration.nanoseconds(Int64(base * Double.random(in: 0.5...1.0)))
        let token = state.attempt
        eventLoop.schedule(after: delay) { [self] in
            let go = self.state.withLock { state -> Bool in
                guard state.phase == .waitingToReconnect, state.attempt == token else { return false }
                state.phase = .connecting(initial: false)
                return true
            }
            if go { startAttempt(initial: false) }
        }
        return .reconnecting(attempt: state.failedAttempts, delay: delay)
    }

    func didConnect(rc: Int32, flags: Int32) {
        guard rc == 0 else {
            let reason = MQTTError.connackReason(rc, v5: configuration.protocolVersion == .v5)
            state.withLock { $0.refusal = .connectionRefused(broker: configuration.brokerAddress, reason: reason) }
            return
        }
        let sessionPresent = flags & 1 != 0
        var continuation: CheckedContinuation<Void, any Error>?
        var resubscribe: [(String, MQTTQoS)] = []
        var requests: [PendingRequest] = []
        let accepted = state.withLock { state -> Bool in
            guard case .connecting(let initial) = state.phase else { return false }
            state.phase = .connected
            state.failedAttempts = 0
            if !initial { state.reconnectCount += 1 }
            continuation = state.connectContinuation
            state.connectContinuation = nil
            if !sessionPresent {
                resubscribe = state.subscriptions.map { ($0.key, $0.value) }
            }
            requests = state.queuedRequests
            state.queuedRequests.removeAll()
            return true
        }
        guard accepted else { return }
        for (filter, qos) in resubscribe {
            let rc = mosquitto_subscribe(handle.pointer, nil, filter, qos.rawValue)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                logger.warning("Re-subscribing to '\(filter)' failed: \(MQTTError.libraryReason(rc, errno: errno)).")
            }
        }
        for request in requests { issue(request) }
        continuation?.resume()
        emit([.connected(sessionPresent: sessionPresent)])
    }

    func didDisconnect(rc: Int32, errno savedErrno: Int32) {
        guard eventLoop.inEventLoop else {
            // libmosquitto closed the socket inside a publish on another thread; handle it here.
            _ = eventLoop.submit { self.didDisconnect(rc: rc, errno: savedErrno) }
            return
        }
        var events: [MQTTConnectionEvent] = []
        var connectFailure: (UInt64, MQTTError)?
        var finish = false
        state.withLock { state in
            state.fd = -1
            state.outArmed = false
            switch state.phase {
            case .connecting:
                let reason = rc == 0 ? "the broker closed the connection" : connectFailureReason(rc, errno: savedErrno)
                connectFailure = (state.attempt, state.refusal ?? .connectFailed(broker: configuration.brokerAddress, reason: reason))
            case .connected:
                let reason = describeLoss(rc, errno: savedErrno)
                // SUBSCRIBEs in flight are gone with the connection; send them again after reconnecting.
                state.queuedRequests.append(contentsOf: state.pendingRequests.values)
                state.pendingRequests.removeAll()
                events.append(.disconnected(reason: reason))
                events.append(scheduleReconnect(&state))
            case .closing:
                finish = true
            case .idle, .waitingToReconnect, .closed:
                break
            }
        }
        if let (attempt, error) = connectFailure {
            attemptFailed(attempt, error)
        }
        if finish { finishClose() }
        if !events.isEmpty {
            logger.warning("MQTT connection to \(configuration.brokerAddress) lost; reconnecting.")
        }
        emit(events)
    }

    private func describeLoss(_ rc: Int32, errno savedErrno: Int32) -> String {
        if rc == MOSQ_ERR_KEEPALIVE.rawValue {
            return "The broker at \(configuration.brokerAddress) did not answer within the keepalive interval."
        }
        if rc == MOSQ_ERR_CONN_LOST.rawValue || rc == 0 {
            return "The connection to \(configuration.brokerAddress) was closed by the broker or the network."
        }
        return "The connection to \(configuration.brokerAddress) failed: \(MQTTError.libraryReason(rc, errno: savedErrno))."
    }

    // MARK: I/O

    func handleIO(flags: UInt32) {
        let (phase, fd) = state.withLock { ($0.phase, $0.fd) }
        guard fd >= 0 else { return }
        let m = handle.pointer
        if case .connecting = phase, flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 {
                let attempt = state.withLock { $0.attempt }
                attemptFailed(attempt, .connectFailed(broker: configuration.brokerAddress, reason: String(cString: strerror(error))))
                return
            }
        }
        // During a TLS handshake libmosquitto advances it from loop_read, whichever way the socket is ready.
        if flags & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 || (usesTLS && flags & EPOLLOUT.rawValue != 0) {
            for _ in 0..<Self.readBudget {
                errno = 0
                let rc = mosquitto_loop_read(m, 1)
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    failedWithoutCallback(rc: rc, errno: errno, fd: fd)
                    return
                }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                if mosquitto_socket(m) != fd { return }
            }
        }
        // What callbacks queued during the read (the next publish, an acknowledgement) is written
        // at once: arming EPOLLOUT for it would cost two epoll_ctl calls and another wake-up per
        // packet. Only on an established connection whose socket is still this one.
        let flushNow = flags & EPOLLOUT.rawValue == 0 && phase == .connected && mosquitto_socket(m) == fd && mosquitto_want_write(m)
        if flags & EPOLLOUT.rawValue != 0 || flushNow {
            errno = 0
            let rc = mosquitto_loop_write(m, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                failedWithoutCallback(rc: rc, errno: errno, fd: fd)
                return
            }
        }
        updateInterest()
    }

    /// Most read/write failures close the socket and call on_disconnect; a failed TLS handshake
    /// closes it silently (net__socket_connect_tls), so report that one here.
    private func failedWithoutCallback(rc: Int32, errno savedErrno: Int32, fd: Int32) {
        guard state.withLock({ $0.fd == fd }) else { return }
        if mosquitto_socket(handle.pointer) == fd { eventLoop.unwatch(fd: fd) }
        didDisconnect(rc: rc, errno: savedErrno)
    }

    /// Registers EPOLLOUT exactly while libmosquitto has data queued for this socket.
    func updateInterest() {
        let m = handle.pointer
        let change = state.withLock { state -> (Int32, Int, Bool)? in
            state.writeCheckPending = false
            guard state.fd >= 0 else { return nil }
            let wantWrite = mosquitto_want_write(m)
            guard wantWrite != state.outArmed else { return nil }
            state.outArmed = wantWrite
            return (state.fd, state.slot, wantWrite)
        }
        if let (fd, slot, write) = change {
            eventLoop.rewatch(fd: fd, slot: slot, write: write)
        }
    }

    /// Called after a publish: if data stayed queued and EPOLLOUT is off, the loop turns it on.
    func requestWriteCheckIfNeeded() {
        let m = handle.pointer
        let schedule = state.withLock { state -> Bool in
            guard mosquitto_want_write(m), !state.outArmed, !state.writeCheckPending, state.fd >= 0 else { return false }
            state.writeCheckPending = true
            return true
        }
        if schedule {
            _ = eventLoop.submit { self.updateInterest() }
        }
    }

    /// Keepalive and PINGREQ bookkeeping, called by the loop's once-a-second sweep.
    func loopMisc() {
        guard state.withLock({ $0.phase == .connected && $0.fd >= 0 }) else { return }
        if mosquitto_loop_misc(handle.pointer) == MOSQ_ERR_SUCCESS.rawValue {
            updateInterest()
        }
    }

    // MARK: Callbacks

    func didPublish(mid: Int32, reasonCode: Int32) {
        var waiting: PendingPublish?
        let handler = state.withLock { state -> (@Sendable (Int32, Int32) -> Void)? in
            state.ackStamp &+= 1
            if let pending = state.pendingPublishes.removeValue(forKey: mid) {
                waiting = pending
            } else if state.publishWindow > 0 {
                state.earlyAcks[mid] = (state.ackStamp, reasonCode)
            }
            return state.publishAckHandler
        }
        if let waiting {
            Self.finishPublish(waiting, reasonCode: reasonCode)
        }
        handler?(mid, reasonCode)
    }

    private static func finishPublish(_ pending: PendingPublish, reasonCode: Int32) {
        if reasonCode >= 0x80 {
            pending.continuation.resume(throwing: MQTTError.publishRejected(topic: pending.topic, reasonCode: reasonCode))
        } else {
            pending.continuation.resume()
        }
    }

    func didReceive(_ raw: UnsafePointer<mosquitto_message>) {
        let message = raw.pointee
        let payload: [UInt8]
        if message.payloadlen > 0, let bytes = message.payload {
            payload = [UInt8](UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
        } else {
            payload = []
        }
        let received = MQTTMessage(
            topic: String(cString: message.topic),
            payload: payload,
            qos: MQTTQoS(rawValue: message.qos) ?? .atMostOnce,
            retain: message.retain,
            mid: message.mid
        )
        let (handler, stream) = state.withLock { ($0.messageHandler, $0.streamContinuation) }
        handler?(received)
        stream?.yield(received)
    }

    func didAcknowledgeRequest(mid: Int32, grantedQoS: Int32) {
        let request = state.withLock { state -> PendingRequest? in
            guard let request = state.pendingRequests.removeValue(forKey: mid) else { return nil }
            switch request.kind {
            case .subscribe:
                if grantedQoS < 0x80 { state.subscriptions[request.filter] = MQTTQoS(rawValue: grantedQoS) ?? request.qos }
            case .unsubscribe:
                state.subscriptions[request.filter] = nil
            }
            return request
        }
        guard let request else {
            if grantedQoS >= 0x80 {
                logger.warning("The broker refused a re-subscription after reconnecting (SUBACK \(grantedQoS)).")
            }
            return
        }
        if request.kind == .subscribe && grantedQoS >= 0x80 {
            request.continuation.resume(throwing: MQTTError.subscribeRefused(filter: request.filter))
        } else {
            request.continuation.resume()
        }
    }

    // MARK: Subscribe requests

    func enqueue(_ request: PendingRequest) {
        let phase = state.withLock { state -> Phase in
            switch state.phase {
            case .connecting, .waitingToReconnect:
                state.queuedRequests.append(request)
            default:
                break
            }
            return state.phase
        }
        switch phase {
        case .connected: issue(request)
        case .connecting, .waitingToReconnect: break
        case .idle: request.continuation.resume(throwing: MQTTError.notConnected(clientID: configuration.clientID))
        case .closing, .closed: request.continuation.resume(throwing: closedError)
        }
    }

    private func issue(_ request: PendingRequest) {
        var mid: Int32 = 0
        let rc: Int32
        switch request.kind {
        case .subscribe: rc = mosquitto_subscribe(handle.pointer, &mid, request.filter, request.qos.rawValue)
        case .unsubscribe: rc = mosquitto_unsubscribe(handle.pointer, &mid, request.filter)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            let error = MQTTError.subscribeFailed(filter: request.filter, reason: MQTTError.libraryReason(rc, errno: errno))
            request.continuation.resume(throwing: error)
            return
        }
        state.withLock { $0.pendingRequests[mid] = request }
        updateInterest()
    }

    // MARK: Closing

    func beginClose(_ continuation: CheckedContinuation<Void, Never>) {
        enum Step { case alreadyClosed, wait, finishNow, sendDisconnect }
        let step = state.withLock { state -> Step in
            switch state.phase {
            case .closed:
                return .alreadyClosed
            case .closing:
                state.closeWaiters.append(continuation)
                return .wait
            case .connected:
                state.phase = .closing
                state.closeWaiters.append(continuation)
                return .sendDisconnect
            case .idle, .connecting, .waitingToReconnect:
                state.phase = .closing
                state.closeWaiters.append(continuation)
                return .finishNow
            }
        }
        switch step {
        case .alreadyClosed:
            continuation.resume()
        case .wait:
            break
        case .finishNow:
            finishClose()
        case .sendDisconnect:
            // on_disconnect (maybe from inside this call) finishes the close once DISCONNECT is written.
            if mosquitto_disconnect(handle.pointer) != MOSQ_ERR_SUCCESS.rawValue {
                finishClose()
                return
            }
            updateInterest()
            eventLoop.schedule(after: Self.closeGrace) { [self] in finishClose() }
        }
    }

    /// Fails every waiter with `closed`, ends the message stream and leaves the event loop.
    private func finishClose() {
        let error = closedError
        let leftovers = state.withLock { state -> (State, Int32)? in
            guard state.phase != .closed else { return nil }
            state.phase = .closed
            let snapshot = state
            let fd = state.fd
            if state.slot != 0 { eventLoop.deregister(slot: state.slot) }
            state.slot = 0
            state.fd = -1
            state.connectContinuation = nil
            state.closeWaiters.removeAll()
            state.pendingPublishes.removeAll()
            state.pendingRequests.removeAll()
            state.queuedRequests.removeAll()
            state.streamContinuation = nil
            return (snapshot, fd)
        }
        guard let (old, fd) = leftovers else { return }
        if fd >= 0 { eventLoop.unwatch(fd: fd) }
        old.connectContinuation?.resume(throwing: error)
        for pending in old.pendingPublishes.values { pending.continuation.resume(throwing: error) }
        for request in old.pendingRequests.values { request.continuation.resume(throwing: error) }
        for request in old.queuedRequests { request.continuation.resume(throwing: error) }
        old.streamContinuation?.finish()
        emit([.closed])
        for waiter in old.closeWaiters { waiter.resume() }
    }

    /// The event loop is shutting down: fail everything without talking to the broker.
    func abandon() {
        finishClose()
    }

    private func emit(_ events: [MQTTConnectionEvent]) {
        guard !events.isEmpty, let handler = state.withLock({ $0.eventHandler }) else { return }
        for event in events { handler(event) }
    }
}
