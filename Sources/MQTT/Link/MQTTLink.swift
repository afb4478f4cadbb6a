import IoTCore
import Logging

/// One MQTT 3.1.1 or MQTT 5 connection with its own thread, built for a single busy link (the gateway to its
/// embedded broker): it reads packets in large chunks and writes them in batches, where
/// libmosquitto spends several syscalls per packet.
///
/// Incoming messages (at-least-once up to the handler's return): `onMessage` runs on the link's
/// thread for every PUBLISH, in the order received. The PUBACK of a QoS 1 message (PUBREC for
/// QoS 2) is written only after the handler has returned and `onBatchEnd` has run for its chunk,
/// all acknowledgements of a chunk in one write. If the process dies before that, a persistent
/// session (`cleanSession` false, fixed `clientID`) gets the message again, with DUP set, after
/// reconnecting. So whatever the handler (or `onBatchEnd`) has done with a message before
/// returning, for instance committed it, is never lost; messages may arrive twice. (libmosquitto
/// sends the PUBACK before calling its message callback, so there the handler gets at most once.)
/// A QoS 2 message is handed over once by a running link (ids awaiting PUBREL are remembered
/// across reconnects that resume the session), but like QoS 1 it may repeat after a process restart.
///
/// Outgoing messages: `publishNoWait` encodes the packet into a shared buffer and returns. QoS 1
/// messages are kept until the broker acknowledges them and are resent (DUP) after a reconnect, in
/// their original order; at most `maxInflight` are unacknowledged, the rest wait in order. QoS 0
/// messages are dropped while the link is not connected, and lost with the connection if it breaks
/// before they were written. Only QoS 0 and 1 can be published.
///
/// Subscriptions are remembered once acknowledged and made again after every reconnect (retained
/// messages are then delivered again). Lost connections are re-established with exponential
/// backoff and jitter until `disconnect()`. The link thread runs from `connect()` until
/// `disconnect()`; dropping the last reference to the link also closes it.
public final class MQTTLink: Sendable {
    public let configuration: Configuration
    let core: MQTTLinkCore

    public init(configuration: Configuration, logger: Logger = Logger(label: "iotgw.mqtt.link")) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "client"] = "\(configuration.clientID)"
        core = MQTTLinkCore(configuration: configuration, logger: logger)
    }

    deinit {
        core.close(waiter: nil)
    }

    // MARK: - Handlers

    /// Called on the link's own thread for every incoming PUBLISH, in order. Set it before
    /// `connect()`: a persistent session delivers queued messages right after CONNACK. The handler
    /// may call `publishNoWait`; while it runs, no other packet of this link is read and no PINGREQ
    /// is sent, so handler and `onBatchEnd` together must return well within the keepalive.
    public func onMessage(_ handler: @escaping @Sendable (MQTTMessage) -> Void) {
        core.state.withLock { $0.messageHandler = handler }
    }

    /// Called on the link's thread after each chunk of incoming packets that contained at least one
    /// message was handled, before the acknowledgements for that chunk are written; lets a consumer
    /// hand over (or commit) a batch at once.
    public func onBatchEnd(_ handler: @escaping @Sendable () -> Void) {
        core.state.withLock { $0.batchEndHandler = handler }
    }

    /// Called on the link's thread (`.closed`: on the thread that closed it) for connects, losses,
    /// reconnect attempts and the final close.
    public func onConnectionEvent(_ handler: @escaping @Sendable (MQTTConnectionEvent) -> Void) {
        core.state.withLock { $0.eventHandler = handler }
    }

    // MARK: - State

    /// True between an accepted CONNACK and the loss of that connection.
    public var isConnected: Bool { core.state.withLock { $0.phase == .connected } }

    /// How many times the link reconnected after losing an established connection.
    public var reconnectCount: Int { core.state.withLock { $0.reconnectCount } }

    /// True on the link's own thread (in `onMessage` and `onBatchEnd`).
    public var isCurrentThread: Bool { core.isLinkThread }

    /// Bytes queued by publishers and this link and not yet written to the socket (0: everything
    /// queued so far is with the kernel).
    public var unsentBytes: Int { core.state.withLock { $0.outgoing.count + $0.batchInWriting } }

    /// Counters since the link was created.
    public var stats: MQTTLinkStats { core.counters.snapshot }

    // MARK: - Connecting

    /// Connects and waits for CONNACK; throws `connectionRefused` (with the CONNACK reason),
    /// `connectFailed`, `connectTimedOut` or `invalidConfiguration`. After a failure the link may
    /// connect again; after a success it reconnects by itself whenever the connection is lost.
    public func connect() async throws {
        try configuration.validate()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            core.connect(continuation)
        }
    }

    /// Sends what is already queued and DISCONNECT (waiting at most 2 s for the socket), stops
    /// reconnecting and ends the thread. Waiting `subscribe` calls fail with `closed`, waiting
    /// `flush` calls return. Final. QoS 1 messages not yet acknowledged are dropped: call `flush()` first.
    public func disconnect() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.close(waiter: continuation)
        }
    }

    // MARK: - Subscribing

    /// Subscribes and waits for SUBACK; throws `subscribeRefused` when the broker answers 0x80 or
    /// above. Made while reconnecting, the request is sent once connected. Remembered and
    /// re-subscribed after every reconnect. `noLocal` (MQTT 5 only): the broker does not send this
    /// link the messages it published itself.
    public func subscribe(_ filter: String, qos: MQTTQoS, noLocal: Bool = false) async throws {
        guard Topic.isValidFilter(filter) else { throw MQTTError.invalidFilter(filter) }
        if noLocal && !configuration.v5 {
            throw MQTTError.invalidConfiguration(field: "protocolVersion", reason: "a No Local subscription needs MQTT 5")
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            core.request(.subscribe(qos, noLocal: noLocal), filter: filter, continuation)
        }
    }

    /// Unsubscribes and waits for UNSUBACK; the filter is no longer re-subscribed.
    public func unsubscribe(_ filter: String) async throws {
        guard Topic.isValidFilter(filter) else { throw MQTTError.invalidFilter(filter) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            core.request(.unsubscribe, filter: filter, continuation)
        }
    }

    // MARK: - Publishing

    /// Queues a PUBLISH from any thread, including from inside `onMessage`, without waiting for the
    /// network. Publishes of one thread leave in call order (per QoS). When more than 64 MiB wait
    /// to be written, a call from another thread blocks until the link thread has taken them; a
    /// call from the link thread never blocks.
    /// Throws `invalidTopic` (empty, wildcard, NUL, longer than 65,535 bytes), `publishFailed`
    /// (QoS 2, or larger than an MQTT packet can be) and `closed` after `disconnect()`.
    public func publishNoWait(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool = false) throws(MQTTError) {
        guard Topic.isValidName(topic) else { throw .invalidTopic(topic) }
        guard qos != .exactlyOnce else {
            throw .publishFailed(topic: topic, reason: "MQTTLink publishes at QoS 0 or 1 only")
        }
        guard MQTTPacketEncoder.publishRemainingLength(topic: topic, payloadCount: payload.count, qos: qos, v5: configuration.v5) != nil else {
            throw .publishFailed(topic: topic, reason: "a payload of \(payload.count) bytes does not fit into an MQTT packet")
        }
        try core.publish(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    /// Returns once every QoS 1 publish queued before the call was acknowledged by the broker (across
    /// reconnects), or the link closed. For tests and graceful shutdown.
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.flush(continuation)
        }
    }
}
