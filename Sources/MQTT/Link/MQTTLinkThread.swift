#if canImport(Glibc)
import Glibc
#endif
import CMosquitto
import Logging

/// The body of a link's own pthread: owns the socket, reads and parses in large chunks, writes
/// batches, keeps the connection alive and re-establishes it. Only this thread touches the socket
/// and the properties below; other threads reach it through `core` (lock + eventfd).
///
/// One iteration: `poll` the eventfd and the socket, handle what is readable (a whole chunk of
/// packets, then `onBatchEnd`), run timers (connect timeout, keepalive, reconnect), then flush the
/// outgoing buffer with one `send`.
final class MQTTLinkThread {
    enum Stage {
        case connectingTCP(addresses: [LinkSocket.Address], next: Int, lastError: Int32, deadline: UInt64)
        /// TLS handshake in progress; `wantWrite` says which readiness it waits for.
        case handshaking(wantWrite: Bool, deadline: UInt64)
        case awaitingConnack(deadline: UInt64)
        case connected
        case waiting(until: UInt64)
        case finished
    }

    private static let readBufferSize = 256 << 10
    /// A write batch that grew beyond this is freed after use rather than kept for the next one.
    private static let retainedWriteCapacity = 4 << 20
    /// How long `disconnect()` waits for pending bytes and DISCONNECT to be written.
    private static let closeGrace: UInt64 = 2_000_000_000

    let core: MQTTLinkCore
    let configuration: MQTTLink.Configuration
    var stage: Stage
    var fd: Int32 = -1
    /// The TLS session over `fd` when the link uses TLS (from the handshake on).
    var tls: LinkTLSSession?
    /// The last TLS read stopped because the read buffer was full, not because OpenSSL ran out of
    /// records: records it already took from the socket may wait, which `poll` cannot see. (After
    /// a read that ran out, at most a partial record is buffered, and `poll` is right to wait.)
    var tlsBacklog = false
    let reader = LinkReadBuffer(capacity: readBufferSize)
    /// The batch being written (taken from `core.state.outgoing` by swapping) and how much is sent.
    private var writing: [UInt8] = []
    private var written = 0
    /// Packets this thread sends itself (acknowledgements, PINGREQ, DISCONNECT) until the next flush.
    var responses: [UInt8] = []
    var responseCount = 0
    /// PUBACKs of the chunk being handled.
    var acknowledged: [UInt16] = []
    /// Incoming QoS 2 packet ids delivered and not yet released, so a resent PUBLISH is not delivered twice.
    var awaitingRelease: Set<UInt16> = []
    var lastReceived: UInt64 = 0
    private var lastSent: UInt64 = 0
    var pingOutstanding = false
    /// Bytes the last `read` brought (0 when the iteration read nothing), for `coalescingDelay`.
    var lastRead = 0
    private let coalescingDelay: timespec
    private var pollFDs = [pollfd](repeating: pollfd(), count: 2)

    init(core: MQTTLinkCore) {
        self.core = core
        configuration = core.configuration
        stage = .waiting(until: 0)
        let delay = MQTTEventLoop.nanoseconds(core.configuration.coalescingDelay)
        coalescingDelay = timespec(tv_sec: Int(delay / 1_000_000_000), tv_nsec: Int(delay % 1_000_000_000))
    }

    private var broker: String { configuration.brokerAddress }

    func run() {
        iotgw_name_thread("mqtt-link")
        pthread_setspecific(MQTTLinkCore.threadKey, Unmanaged.passUnretained(core).toOpaque())
        startAttempt(now: MQTTEventLoop.now())
        while true {
            if case .finished = stage { break }
            waitForEvents()
            let closing = core.state.withLock { state -> Bool in
                state.wakeUpPending = true
                return state.phase == .closing
            }
            if pollFDs[0].revents & Int16(POLLIN) != 0 { LinkSocket.drain(eventFD: core.wakeFD) }
            if closing {
                shutDown()
                break
            }
            lastRead = 0
            let buffered = tlsBacklog ? Int16(POLLIN) : 0
            if fd >= 0 && (pollFDs[1].revents | buffered) != 0 { handleSocket(pollFDs[1].revents | buffered) }
            handleTimers(now: MQTTEventLoop.now())
            flush()
            coalesce()
        }
        pthread_setspecific(MQTTLinkCore.threadKey, nil)
    }

    // MARK: Waiting

    /// Sleeps `coalescingDelay` after a read that did not fill the buffer: the traffic is a
    /// trickle, and waiting lets the next read, handler batch and send cover more packets.
    private func coalesce() {
        guard lastRead > 0, lastRead < Self.readBufferSize / 2, coalescingDelay.tv_sec > 0 || coalescingDelay.tv_nsec > 0 else {
            return
        }
        var delay = coalescingDelay
        _ = nanosleep(&delay, nil)
    }

    private func waitForEvents() {
        pollFDs[0] = pollfd(fd: core.wakeFD, events: Int16(POLLIN), revents: 0)
        var count: nfds_t = 1
        pollFDs[1].revents = 0
        if fd >= 0 {
            var events = Int16(POLLIN)
            if case .connectingTCP = stage {
                events = Int16(POLLOUT)
            } else if case .handshaking(let wantWrite, _) = stage {
                events = Int16(wantWrite ? POLLOUT : POLLIN)
            } else if written < writing.count {
                events |= Int16(POLLOUT)
            }
            pollFDs[1] = pollfd(fd: fd, events: events, revents: 0)
            count = 2
        }
        let timeout = tlsBacklog ? 0 : pollTimeout(now: MQTTEventLoop.now())
        let rc = pollFDs.withUnsafeMutableBufferPointer { poll($0.baseAddress, count, timeout) }
        if rc < 0 {
            pollFDs[0].revents = 0
            pollFDs[1].revents = 0
        }
    }

    private func pollTimeout(now: UInt64) -> Int32 {
        let deadline: UInt64?
        switch stage {
        case .connectingTCP(_, _, _, let until), .handshaking(_, let until), .awaitingConnack(let until), .waiting(let until):
            deadline = until
        case .connected: deadline = keepAliveDeadline()
        case .finished: deadline = nil
        }
        guard let deadline else { return -1 }
        guard deadline > now else { return 0 }
        return Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    private func handleTimers(now: UInt64) {
        switch stage {
        case .connectingTCP(_, _, _, let deadline) where now >= deadline, .handshaking(_, let deadline) where now >= deadline,
            .awaitingConnack(let deadline) where now >= deadline:
            let seconds = Double(MQTTEventLoop.nanoseconds(configuration.connectTimeout)) / 1e9
            attemptFailed(.connectTimedOut(broker: broker, seconds: seconds))
        case .waiting(let until) where now >= until:
            let go = core.state.withLock { state -> Bool in
                guard state.phase == .waitingToReconnect else { return false }
                state.phase = .connecting(initial: false)
                return true
            }
            if go { startAttempt(now: now) }
        case .connected:
            checkKeepAlive(now: now)
        default:
            break
        }
    }

    // MARK: Connecting

    private func startAttempt(now: UInt64) {
        let deadline = now &+ MQTTEventLoop.nanoseconds(configuration.connectTimeout)
        switch LinkSocket.resolve(host: configuration.host, port: configuration.port) {
        case .failure(let error):
            attemptFailed(.connectFailed(broker: broker, reason: error.reason))
        case .success(let addresses):
            stage = .connectingTCP(addresses: addresses, next: 0, lastError: 0, deadline: deadline)
            connectNextAddress()
        }
    }

    private func connectNextAddress() {
        guard case .connectingTCP(let addresses, var next, var lastError, let deadline) = stage else { return }
        while next < addresses.count {
            let address = addresses[next]
            next += 1
            switch LinkSocket.startConnect(to: address) {
            case .connected(let socket):
                fd = socket
                tcpConnected(deadline: deadline)
                return
            case .inProgress(let socket):
                fd = socket
                stage = .connectingTCP(addresses: addresses, next: next, lastError: lastError, deadline: deadline)
                return
            case .failed(let code):
                lastError = code
            }
        }
        let reason = lastError == 0 ? "no address found for \(configuration.host)" : String(cString: strerror(lastError))
        attemptFailed(.connectFailed(broker: broker, reason: reason))
    }

    /// The socket became writable (or failed) while connecting.
    func finishTCPConnect() {
        guard case .connectingTCP(let addresses, let next, _, let deadline) = stage else { return }
        let error = LinkSocket.pendingError(fd)
        if error == 0 {
            tcpConnected(deadline: deadline)
            return
        }
        close(fd)
        fd = -1
        stage = .connectingTCP(addresses: addresses, next: next, lastError: error, deadline: deadline)
        connectNextAddress()
    }

    private func tcpConnected(deadline: UInt64) {
        LinkSocket.setNoDelay(fd)
        guard let context = core.tlsContext else {
            sendConnect(deadline: deadline)
            return
        }
        guard let session = LinkTLSSession(context: context, fd: fd) else {
            attemptFailed(.connectFailed(broker: broker, reason: "TLS could not be set up (OpenSSL failed to create the session)"))
            return
        }
        tls = session
        continueHandshake(deadline: deadline)
    }

    /// Advances the TLS handshake; CONNECT follows once it is done.
    func continueHandshake(deadline: UInt64) {
        guard let tls else { return }
        switch tls.handshake() {
        case .done:
            sendConnect(deadline: deadline)
        case .wouldBlock(let wantWrite):
            stage = .handshaking(wantWrite: wantWrite, deadline: deadline)
        case .closed:
            attemptFailed(.connectFailed(broker: broker, reason: "the broker closed the connection during the TLS handshake"))
        case .failed(let reason):
            attemptFailed(.connectFailed(broker: broker, reason: "TLS handshake failed: \(reason)"))
        }
    }

    private func sendConnect(deadline: UInt64) {
        MQTTPacketEncoder.appendConnect(
            to: &writing, clientID: configuration.clientID, username: configuration.username, password: configuration.password,
            keepAlive: UInt16(configuration.keepAlive), cleanSession: configuration.cleanSession, v5: configuration.v5
        )
        written = 0
        core.counters.packetsOut.add(1)
        stage = .awaitingConnack(deadline: deadline)
    }

    /// `receiveMaximum`: MQTT 5's limit on QoS 1 publishes in flight from the CONNACK (`Int.max` for 3.1.1).
    func connectionAccepted(sessionPresent: Bool, receiveMaximum: Int) {
        let now = MQTTEventLoop.now()
        stage = .connected
        lastReceived = now
        lastSent = now
        if !sessionPresent { awaitingRelease.removeAll() }
        guard let (continuation, unsent) = core.state.withLock({ $0.connectionAccepted(inflightLimit: core.inflightLimit, receiveMaximum: receiveMaximum) }) else { return }
        core.emit([.connected(sessionPresent: sessionPresent)])
        continuation?.resume()
        for request in unsent {
            let error = MQTTError.subscribeFailed(filter: request.filter, reason: "all 65,535 packet ids are in use")
            if let waiting = request.continuation {
                waiting.resume(throwing: error)
            } else {
                core.logger.error("\(error.description)")
            }
        }
    }

    /// Ends the current attempt: the first one fails `connect()` and ends the thread, later ones
    /// schedule the next attempt.
    func attemptFailed(_ error: MQTTError) {
        closeSocket()
        if let (continuation, requests) = core.state.withLock({ $0.initialAttemptFailed() }) {
            stage = .finished
            continuation?.resume(throwing: error)
            for request in requests { request.continuation?.resume(throwing: error) }
            return
        }
        scheduleReconnect(reason: error.description)
    }

    /// Drops the connection (or the attempt) because of `failure`.
    func drop(_ failure: MQTTLinkFailure) {
        switch stage {
        case .connected:
            closeSocket()
            scheduleReconnect(reason: failure.sentence(broker: broker))
        case .connectingTCP, .handshaking, .awaitingConnack:
            attemptFailed(.connectFailed(broker: broker, reason: failure.connectReason))
        case .waiting, .finished:
            closeSocket()
        }
    }

    private func scheduleReconnect(reason: String) {
        let now = MQTTEventLoop.now()
        let next = core.state.withLockWakingWaiters {
            $0.connectionLost(minDelay: configuration.reconnectMinDelay, maxDelay: configuration.reconnectMaxDelay)
        }
        guard let (attempt, delay) = next else {
            // Closing: the next iteration sees it (close() has written the eventfd).
            stage = .waiting(until: .max)
            return
        }
        stage = .waiting(until: now &+ MQTTEventLoop.nanoseconds(delay))
        core.logger.warning("\(reason) Reconnecting in \(delay) (attempt \(attempt)).")
        core.emit([.disconnected(reason: reason), .reconnecting(attempt: attempt, delay: delay)])
    }

    private func closeSocket() {
        tls = nil
        tlsBacklog = false
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        reader.reset()
        writing.removeAll(keepingCapacity: writing.capacity <= Self.retainedWriteCapacity)
        written = 0
        responses.removeAll(keepingCapacity: true)
        responseCount = 0
        acknowledged.removeAll(keepingCapacity: true)
        pingOutstanding = false
    }

    // MARK: Keepalive

    private var keepAliveInterval: UInt64 { UInt64(configuration.keepAlive) * 1_000_000_000 }

    private func keepAliveDeadline() -> UInt64? {
        guard configuration.keepAlive > 0 else { return nil }
        let interval = keepAliveInterval
        let silence = lastReceived &+ interval * 3 / 2
        return pingOutstanding ? silence : min(silence, lastSent &+ interval, lastReceived &+ interval)
    }

    /// PINGREQ after `keepAlive` without sending or receiving; lost after 1.5 times it without receiving.
    private func checkKeepAlive(now: UInt64) {
        guard configuration.keepAlive > 0 else { return }
        let interval = keepAliveInterval
        if now - lastReceived >= interval * 3 / 2 {
            drop(.keepAliveExpired(seconds: configuration.keepAlive))
        } else if !pingOutstanding && (now - lastSent >= interval || now - lastReceived >= interval) {
            MQTTPacketEncoder.appendHeaderOnly(.pingreq, to: &responses)
            responseCount += 1
            pingOutstanding = true
        }
    }

    // MARK: Writing

    /// Writes the current batch, then whatever publishers and this thread added meanwhile, each
    /// batch with one `send`, until nothing is left or the socket is full (then POLLOUT is awaited).
    private func flush() {
        while fd >= 0 {
            if written == writing.count {
                guard case .connected = stage else { return }
                core.counters.packetsOut.add(responseCount)
                responseCount = 0
                guard core.takeOutgoing(into: &writing, adding: &responses) else { return }
                written = 0
            }
            guard writeBatch() else { return }
        }
    }

    /// One `send` (over TLS: one `SSL_write`) of the unsent part of `writing`; true when the batch
    /// is now completely sent.
    private func writeBatch() -> Bool {
        let result: Int
        if let tls {
            let outcome = writing.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }
            core.counters.writes.add(1)
            switch outcome {
            case .done(let count): result = count
            case .wouldBlock: return false
            case .closed: drop(.closedByBroker); return false
            case .failed(let reason): drop(.tls(reason)); return false
            }
        } else {
            result = writing.withUnsafeBytes { bytes in
                LinkSocket.send(fd, UnsafeRawBufferPointer(rebasing: bytes[written...]))
            }
            let code = errno
            core.counters.writes.add(1)
            guard result > 0 else {
                if code != EAGAIN && code != EWOULDBLOCK && code != EINTR { drop(.socket(errno: code)) }
                return false
            }
        }
        core.counters.bytesOut.add(result)
        lastSent = MQTTEventLoop.now()
        written += result
        // A short write means the socket buffer is full: wait for POLLOUT instead of trying again.
        guard written == writing.count else { return false }
        writing.removeAll(keepingCapacity: writing.capacity <= Self.retainedWriteCapacity)
        written = 0
        return true
    }

    // MARK: Closing

    /// Writes what is pending plus DISCONNECT (for at most `closeGrace`), closes the socket and
    /// answers everything still waiting.
    private func shutDown() {
        if case .connected = stage, fd >= 0 {
            MQTTPacketEncoder.appendHeaderOnly(.disconnect, to: &responses)
            responseCount += 1
            let deadline = MQTTEventLoop.now() &+ Self.closeGrace
            flush()
            while fd >= 0 && written < writing.count {
                let now = MQTTEventLoop.now()
                guard now < deadline else { break }
                var writable = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&writable, 1, Int32((deadline - now) / 1_000_000 + 1))
                flush()
            }
            tls?.close()
        }
        closeSocket()
        stage = .finished
        core.answer(core.state.withLockWakingWaiters { $0.close() })
    }
}
