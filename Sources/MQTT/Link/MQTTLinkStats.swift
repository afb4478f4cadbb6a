import Synchronization

/// Counters of one `MQTTLink` since it was created, for metrics and tests.
public struct MQTTLinkStats: Sendable, Hashable {
    /// MQTT packets parsed from the socket.
    public var packetsIn = 0
    /// MQTT packets encoded for the socket (including acknowledgements and resends).
    public var packetsOut = 0
    public var bytesIn = 0
    public var bytesOut = 0
    /// `read()` calls on the socket: far fewer than `packetsIn` under load is the point of the link.
    public var reads = 0
    /// `send()` calls on the socket.
    public var writes = 0
    /// Eventfd writes that woke the link thread (by `publishNoWait`, `subscribe` and `disconnect`
    /// on other threads; only when the thread was not already awake).
    public var wakeUps = 0
    /// Messages handed to `onMessage`.
    public var messagesIn = 0
    /// Outgoing QoS 1 publishes the broker acknowledged.
    public var acknowledged = 0
    /// QoS 0 publishes dropped because the link was not connected.
    public var droppedQoS0 = 0
    /// MQTT 5: QoS 1 publishes the broker answered with a PUBACK reason code of 0x80 or above.
    public var refused = 0
}

/// The live counters behind `MQTTLinkStats`; relaxed atomics, so any thread may count.
final class MQTTLinkCounters: Sendable {
    let packetsIn = Atomic<Int>(0)
    let packetsOut = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)
    let reads = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
    let wakeUps = Atomic<Int>(0)
    let messagesIn = Atomic<Int>(0)
    let acknowledged = Atomic<Int>(0)
    let droppedQoS0 = Atomic<Int>(0)
    let refused = Atomic<Int>(0)

    var snapshot: MQTTLinkStats {
        MQTTLinkStats(
            packetsIn: packetsIn.load(ordering: .relaxed), packetsOut: packetsOut.load(ordering: .relaxed),
            bytesIn: bytesIn.load(ordering: .relaxed), bytesOut: bytesOut.load(ordering: .relaxed),
            reads: reads.load(ordering: .relaxed), writes: writes.load(ordering: .relaxed),
            wakeUps: wakeUps.load(ordering: .relaxed), messagesIn: messagesIn.load(ordering: .relaxed),
            acknowledged: acknowledged.load(ordering: .relaxed), droppedQoS0: droppedQoS0.load(ordering: .relaxed),
            refused: refused.load(ordering: .relaxed)
        )
    }
}

extension Atomic<Int> {
    func add(_ value: Int) {
        wrappingAdd(value, ordering: .relaxed)
    }
}
