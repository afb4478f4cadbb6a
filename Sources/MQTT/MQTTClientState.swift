extension MQTTClient {
    /// Where the client's connection stands; changed only on the event loop thread.
    typealias Phase = ConnectionPhase

    struct PendingPublish {
        var topic: String
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct PendingRequest {
        enum Kind { case subscribe, unsubscribe }
        var kind: Kind
        var filter: String
        var qos: MQTTQoS
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// Everything mutable about a client, behind `MQTTClient.state`'s lock. The lock is never held
    /// while calling libmosquitto functions that can call back, nor while calling user handlers.
    struct State {
        var phase: Phase = .idle
        /// Registration in the event loop (0 = not registered).
        var slot = 0
        /// The socket while it is open and registered in epoll, else -1.
        var fd: Int32 = -1
        var outArmed = false
        var writeCheckPending = false
        /// Increments per connection attempt; timers for older attempts are ignored.
        var attempt: UInt64 = 0
        var failedAttempts = 0
        var reconnectCount = 0
        var connectContinuation: CheckedContinuation<Void, any Error>?
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        /// The CONNACK refusal of the current attempt, reported when the socket closes.
        var refusal: MQTTError?

        var subscriptions: [String: MQTTQoS] = [:]
        var pendingRequests: [Int32: PendingRequest] = [:]
        /// Requests made while the connection is being (re)established.
        var queuedRequests: [PendingRequest] = []

        var pendingPublishes: [Int32: PendingPublish] = [:]
        /// Acks that arrived while an awaiting `publish` had not yet stored its continuation,
        /// stamped with `ackStamp` so an ack older than that publish is never taken for it.
        var earlyAcks: [Int32: (stamp: UInt64, reasonCode: Int32)] = [:]
        /// Awaiting publishes between "about to call libmosquitto" and "continuation stored".
        var publishWindow = 0
        var ackStamp: UInt64 = 0

        var messageHandler: (@Sendable (MQTTMessage) -> Void)?
        var publishAckHandler: (@Sendable (Int32, Int32) -> Void)?
        var eventHandler: (@Sendable (MQTTConnectionEvent) -> Void)?
        var stream: AsyncStream<MQTTMessage>?
        var streamContinuation: AsyncStream<MQTTMessage>.Continuation?

        mutating func closePublishWindow() {
            publishWindow -= 1
            if publishWindow == 0 && !earlyAcks.isEmpty { earlyAcks.removeAll(keepingCapacity: true) }
        }
    }
}
