#if canImport(Glibc)
import Glibc
#endif
import CMosquitto
import IoTCore
import Logging

/// An MQTT client over libmosquitto, driven by an `MQTTEventLoop` thread shared with other clients.
///
/// Delivery guarantee for incoming messages: libmosquitto's hand-driven loop sends the PUBACK
/// (QoS 1) or PUBREC (QoS 2) for an incoming message *before* it calls the message handler. Once
/// the handler runs, the broker considers the message delivered and will not send it again, even
/// with a persistent session. If the process dies between the acknowledgement and the moment the
/// consumer (for the gateway: ingest) has stored or acted on the message, that message is lost.
/// So the client gives at-most-once hand-over to the handler; the consumer is responsible for
/// everything after that (e.g. committing quickly, or accepting the loss window).
///
/// Outgoing QoS 1/2 messages are kept by libmosquitto across reconnects and resent until
/// acknowledged; `publish` completes on PUBACK (QoS 1) or PUBCOMP (QoS 2), and for QoS 0 when the
/// packet has been written to the socket.
///
/// Once `connect()` succeeds the event loop keeps the client (and its connection) alive until
/// `disconnect()`, even if the caller drops its reference.
///
/// Handlers (`onMessage`, `onPublishAck`, `onConnectionEvent`) run on the event loop thread and
/// must return quickly; the one exception is the QoS 0 publish acknowledgement for a publish made
/// from another thread, which libmosquitto reports on that thread while writing the packet.
public final class MQTTClient: Sendable {
    public let configuration: Configuration
    public let eventLoop: MQTTEventLoop
    let handle: MosquittoHandle
    let state: Locked<State>
    let logger: Logger
    private let isV5: Bool
    let usesTLS: Bool

    /// Creates the client (no I/O yet); throws if libmosquitto rejects the configuration.
    public init(configuration: Configuration, eventLoop: MQTTEventLoop = .shared) throws(MQTTError) {
        MQTTLibrary.ensureInitialized()
        self.configuration = configuration
        self.eventLoop = eventLoop
        isV5 = configuration.protocolVersion == .v5
        usesTLS = configuration.tls != nil
        var logger = Logger(label: "iotgw.mqtt")
        logger[metadataKey: "client"] = "\(configuration.clientID)"
        self.logger = logger
        state = Locked(State())
        let id = configuration.clientID.isEmpty ? nil : configuration.clientID
        guard let pointer = mosquitto_new(id, configuration.cleanSession, nil) else {
            let reason = errno == EINVAL
                ? "a persistent session (cleanSession false) needs a non-empty clientID"
                : String(cString: strerror(errno))
            throw .invalidConfiguration(field: "clientID", reason: reason)
        }
        handle = MosquittoHandle(pointer: pointer)
        mosquitto_user_data_set(pointer, Unmanaged.passUnretained(self).toOpaque())
        try applyOptions()
        installCallbacks()
    }

    deinit {
        mosquitto_destroy(handle.pointer)
    }

    // MARK: - Handlers

    /// Sets the handler for incoming messages (call before `connect()`); it runs on the loop thread.
    public func onMessage(_ handler: @escaping @Sendable (MQTTMessage) -> Void) {
        state.withLock { $0.messageHandler = handler }
    }

    /// Sets the handler told about every acknowledged publish: `mid` as returned by `publishNoWait`,
    /// and the MQTT 5 reason code (0 for MQTT 3.1.1 and for success).
    public func onPublishAck(_ handler: @escaping @Sendable (_ mid: Int32, _ reasonCode: Int32) -> Void) {
        state.withLock { $0.publishAckHandler = handler }
    }

    /// Sets the handler told about connects, losses, reconnect attempts and the final close.
    public func onConnectionEvent(_ handler: @escaping @Sendable (MQTTConnectionEvent) -> Void) {
        state.withLock { $0.eventHandler = handler }
    }

    /// Incoming messages as a stream (unbounded buffer; one consumer), in addition to `onMessage`.
    /// Ends after `disconnect()`. Meant for tests and simple programs; the gateway uses `onMessage`.
    public var messages: AsyncStream<MQTTMessage> {
        state.withLock { state in
            if let stream = state.stream { return stream }
            let (stream, continuation) = AsyncStream.makeStream(of: MQTTMessage.self)
            if state.phase == .closed { continuation.finish() }
            state.stream = stream
            state.streamContinuation = continuation
            return stream
        }
    }

    /// True between an accepted CONNACK and the loss of that connection.
    public var isConnected: Bool { state.withLock { $0.phase == .connected } }

    /// How many times the client reconnected after losing an established connection.
    public var reconnectCount: Int { state.withLock { $0.reconnectCount } }

    // MARK: - Connect / disconnect

    /// Connects and waits for CONNACK; after this, lost connections are re-established automatically.
    public func connect() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if !eventLoop.submit({ self.beginInitialConnect(continuation) }) {
                continuation.resume(throwing: MQTTError.closed(clientID: configuration.clientID))
            }
        }
    }

    /// Sends DISCONNECT (so the broker does not publish the will), stops reconnecting, and fails
    /// whatever still waits (`publish`, `subscribe`) with `MQTTError.closed`. Final.
    public func disconnect() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !eventLoop.submit({ self.beginClose(continuation) }) {
                continuation.resume()
            }
        }
    }

    // MARK: - Publish

    /// Publishes and waits: QoS 0 until written to the socket, QoS 1/2 until the broker acknowledges.
    /// While the connection is down QoS 1/2 messages wait in libmosquitto and are sent on reconnect;
    /// QoS 0 fails at once.
    public func publish(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) async throws {
        let start = try state.withLock { state throws(MQTTError) -> UInt64 in
            switch state.phase {
            case .closed, .closing: throw .closed(clientID: configuration.clientID)
            case .idle: throw .notConnected(clientID: configuration.clientID)
            default: break
            }
            state.publishWindow += 1
            return state.ackStamp
        }
        let mid: Int32
        do {
            mid = try payload.withUnsafeBytes { bytes throws(MQTTError) in
                try send(topic: topic, payload: bytes, qos: qos, retain: retain)
            }
        } catch {
            state.withLock { $0.closePublishWindow() }
            throw error
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let early = state.withLock { state -> Int32? in
                defer { state.closePublishWindow() }
                if let ack = state.earlyAcks[mid], ack.stamp > start {
                    state.earlyAcks[mid] = nil
                    return ack.reasonCode
                }
                state.pendingPublishes[mid] = PendingPublish(topic: topic, continuation: continuation)
                return nil
            }
            if let early {
                Self.finish(continuation, topic: topic, reasonCode: early)
            }
        }
    }

    /// Publishes a UTF-8 string payload; see `publish(topic:payload:qos:retain:)`.
    public func publish(topic: String, payload: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false) async throws {
        try await publish(topic: topic, payload: Array(payload.utf8), qos: qos, retain: retain)
    }

    /// Hands the message to libmosquitto and returns its mid at once, for high publish rates;
    /// the acknowledgement arrives through `onPublishAck`. Safe from any thread; cheapest on the loop thread.
    @discardableResult
    public func publishNoWait(topic: String, payload: UnsafeRawBufferPointer, qos: MQTTQoS = .atMostOnce, retain: Bool = false) throws(MQTTError) -> Int32 {
        try send(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    /// `publishNoWait` for a byte array.
    @discardableResult
    public func publishNoWait(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) throws(MQTTError) -> Int32 {
        let result = payload.withUnsafeBytes { bytes in
            Result { () throws(MQTTError) in try send(topic: topic, payload: bytes, qos: qos, retain: retain) }
        }
        return try result.get()
    }

    private func send(topic: String, payload: UnsafeRawBufferPointer, qos: MQTTQoS, retain: Bool) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        let rc = topic.withCString { name in
            mosquitto_publish(handle.pointer, &mid, name, Int32(payload.count), payload.baseAddress, qos.rawValue, retain)
        }
        let savedErrno = errno
        // For QoS 1/2 libmosquitto has already queued the message when sending fails for lack of a
        // connection; it resends it after reconnecting, so the publish is under way, not failed.
        let queuedAnyway = qos != .atMostOnce && (rc == MOSQ_ERR_NO_CONN.rawValue || rc == MOSQ_ERR_CONN_LOST.rawValue || rc == MOSQ_ERR_ERRNO.rawValue)
        if rc != MOSQ_ERR_SUCCESS.rawValue && !queuedAnyway {
            if rc == MOSQ_ERR_INVAL.rawValue && !Topic.isValidName(topic) { throw .invalidTopic(topic) }
            if rc == MOSQ_ERR_NO_CONN.rawValue {
                throw .publishFailed(topic: topic, reason: "the client is not connected to \(configuration.brokerAddress)")
            }
            throw .publishFailed(topic: topic, reason: MQTTError.libraryReason(rc, errno: savedErrno))
        }
        requestWriteCheckIfNeeded()
        return mid
    }

    private static func finish(_ continuation: CheckedContinuation<Void, any Error>, topic: String, reasonCode: Int32) {
        if reasonCode >= 0x80 {
            continuation.resume(throwing: MQTTError.publishRejected(topic: topic, reasonCode: reasonCode))
        } else {
            continuation.resume()
        }
    }

    // MARK: - Subscribe

    /// Subscribes and waits for SUBACK; throws `subscribeRefused` if the broker answers 0x80.
    /// The filter is re-subscribed after every reconnect that did not resume a session.
    public func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce) async throws {
        guard Topic.isValidFilter(filter) else { throw MQTTError.invalidFilter(filter) }
        try await request(.subscribe, filter: filter, qos: qos)
    }

    /// Unsubscribes and waits for UNSUBACK; the filter is no longer re-subscribed on reconnect.
    public func unsubscribe(_ filter: String) async throws {
        guard Topic.isValidFilter(filter) else { throw MQTTError.invalidFilter(filter) }
        try await request(.unsubscribe, filter: filter, qos: .atMostOnce)
    }

    private func request(_ kind: PendingRequest.Kind, filter: String, qos: MQTTQoS) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let pending = PendingRequest(kind: kind, filter: filter, qos: qos, continuation: continuation)
            if !eventLoop.submit({ self.enqueue(pending) }) {
                continuation.resume(throwing: MQTTError.closed(clientID: configuration.clientID))
            }
        }
    }

    // MARK: - Setup

    private func applyOptions() throws(MQTTError) {
        let m = handle.pointer
        let c = configuration
        if isV5 {
            check(mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5), field: "protocolVersion")
            // Lets the broker keep as many QoS 1/2 messages in flight towards us as we send.
            if c.maxInflightMessages > 0 {
                mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, Int32(min(c.maxInflightMessages, 65535)))
            }
        }
        // Small MQTT packets (PUBACKs) must not wait for Nagle's algorithm.
        mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_max_inflight_messages_set(m, UInt32(max(0, min(c.maxInflightMessages, 65535))))
        if c.username != nil || c.password != nil {
            let rc = mosquitto_username_pw_set(m, c.username, c.password)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                throw .invalidConfiguration(field: "username", reason: MQTTError.libraryReason(rc, errno: errno))
            }
        }
        if let will = c.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(m, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain)
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                throw .invalidConfiguration(field: "will.topic", reason: MQTTError.libraryReason(rc, errno: errno))
            }
        }
        if let tls = c.tls {
            let rc = mosquitto_tls_set(m, tls.caFile, tls.caPath, tls.certFile, tls.keyFile, nil)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                let reason = MQTTError.libraryReason(rc, errno: errno)
                throw .invalidConfiguration(field: "tls", reason: "\(reason) (check that caFile/caPath, certFile and keyFile exist and are readable)")
            }
            if tls.insecure { mosquitto_tls_insecure_set(m, true) }
        }
    }

    private func check(_ rc: Int32, field: String) {
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            logger.warning("libmosquitto rejected option \(field): \(MQTTError.libraryReason(rc, errno: errno))")
        }
    }

    private func installCallbacks() {
        let m = handle.pointer
        mosquitto_connect_v5_callback_set(m) { _, context, rc, flags, _ in
            MQTTClient.from(context).didConnect(rc: rc, flags: flags)
        }
        mosquitto_disconnect_v5_callback_set(m) { _, context, rc, _ in
            let savedErrno = errno
            MQTTClient.from(context).didDisconnect(rc: rc, errno: savedErrno)
        }
        mosquitto_publish_v5_callback_set(m) { _, context, mid, reasonCode, _ in
            MQTTClient.from(context).didPublish(mid: mid, reasonCode: reasonCode)
        }
        mosquitto_message_v5_callback_set(m) { _, context, message, _ in
            guard let message else { return }
            MQTTClient.from(context).didReceive(message)
        }
        mosquitto_subscribe_v5_callback_set(m) { _, context, mid, count, granted, _ in
            let first = (count > 0 && granted != nil) ? granted![0] : 0x80
            MQTTClient.from(context).didAcknowledgeRequest(mid: mid, grantedQoS: first)
        }
        mosquitto_unsubscribe_v5_callback_set(m) { _, context, mid, _ in
            MQTTClient.from(context).didAcknowledgeRequest(mid: mid, grantedQoS: 0)
        }
    }

    /// libmosquitto's userdata is this client, unretained: while libmosquitto can call back
    /// (its socket is registered) the event loop's registry holds a strong reference, and
    /// publish callbacks on other threads happen inside a call the caller's reference keeps alive.
    private static func from(_ context: UnsafeMutableRawPointer?) -> MQTTClient {
        Unmanaged<MQTTClient>.fromOpaque(context!).takeUnretainedValue()
    }
}

/// The `struct mosquitto *` of one client.
struct MosquittoHandle: @unchecked Sendable {
    // libmosquitto (built WITH_THREADING) guards each handle's queues and state with its own mutexes.
    let pointer: OpaquePointer
}
