#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import IoTCore
import MQTT

/// Routes the messages the gateway publishes itself (rule `republish` actions) back into the
/// gateway, as if the broker had delivered them, when the broker will not.
///
/// On the embedded broker the gateway's `#` subscription is MQTT 5 No Local: mosquitto does not send
/// the gateway its own publishes. Without that, every republished message came back through the
/// broker (one more read and one more delivery per message for mosquitto, the bound of
/// `bench/rules_e2e`). Rules and telemetry must still see those messages, as on AWS IoT, where a
/// republished message triggers the rules that match its topic; so they are routed here instead:
/// only topics `#` covers (not `$...`; publishes to `$` topics still come back through the broker).
///
/// Routing happens on the publishing thread, after the publish was queued on the link. A message
/// republished while another is routed on the same thread is queued and routed when that one is
/// done, so a chain of rules does not nest calls. A message more than `maxHops` republishes away
/// from one that came from the broker is dropped and counted: a rule that republishes onto its own
/// FROM filter would otherwise keep this thread busy forever (through the broker it looped forever
/// too, one round trip per hop).
final class OwnMessageFeed: Sendable {
    static let maxHops = 16

    /// Off for an external broker, where the gateway's `#` is a plain subscription.
    let isEnabled: Bool
    // Set once by `connect`, before the link connects and before rules can fire; read-only after.
    nonisolated(unsafe) private var route: (@Sendable (MQTTMessage) -> Bool)?
    nonisolated(unsafe) private var generation: (@Sendable () -> Int)?
    nonisolated(unsafe) private var afterRouting: (@Sendable () -> Void)?
    private let routed: CoreMetrics.Counter
    private let dropped: CoreMetrics.Counter
    private let log: RateLimitedLogger

    init(isEnabled: Bool, metrics: GatewayMetrics, log: RateLimitedLogger) {
        self.isEnabled = isEnabled
        self.log = log
        routed = Counter(label: "iotgw_own_messages_routed_total", factory: metrics.factory)
        dropped = Counter(label: "iotgw_own_messages_dropped_total", dimensions: [("reason", "hop_limit")], factory: metrics.factory)
    }

    /// `route` handles a message like one received from the broker and says whether anything took
    /// it; until `generation` changes, a topic nothing took is not routed again (republished
    /// topics usually match nothing, and routing costs a topic-index walk and lookups).
    /// `afterRouting` runs on the routing thread once its queue is empty (the gateway hands
    /// ingested telemetry to the writer there).
    func connect(
        route: @escaping @Sendable (MQTTMessage) -> Bool, generation: @escaping @Sendable () -> Int,
        afterRouting: @escaping @Sendable () -> Void
    ) {
        self.route = route
        self.generation = generation
        self.afterRouting = afterRouting
    }

    /// Called after the gateway published `payload` on `topic`.
    func published(topic: String, payload: [UInt8], qos: MQTTQoS) {
        guard isEnabled, !topic.hasPrefix("$"), let route, let generation else { return }
        let local = FeedThreadState.current
        let hops = local.hops + 1
        guard hops <= Self.maxHops else {
            dropped.increment()
            log.warning(
                key: "own-hops",
                "A message republished \(Self.maxHops) times in a row by rules was not routed again; rules republish onto topics they match.",
                metadata: ["topic": "\(topic)"])
            return
        }
        local.queue.append((MQTTMessage(topic: topic, payload: payload, qos: qos, retain: false, mid: 0), hops))
        if local.routing { return }
        local.routing = true
        var next = 0
        while next < local.queue.count {
            let (message, depth) = local.queue[next]
            next += 1
            local.hops = depth
            routed.increment()
            let now = generation()
            if local.idleTopics[message.topic] == now { continue }
            if !route(message) {
                if local.idleTopics.count >= 4096 { local.idleTopics.removeAll(keepingCapacity: true) }
                local.idleTopics[message.topic] = now
            }
        }
        local.queue.removeAll(keepingCapacity: local.queue.capacity <= 1024)
        local.hops = 0
        local.routing = false
        afterRouting?()
    }
}

/// Per-thread state of `OwnMessageFeed` (only the owning thread touches it).
private final class FeedThreadState {
    var queue: [(MQTTMessage, Int)] = []
    /// Republishes between the message this thread is routing and one from the broker (0: none).
    var hops = 0
    var routing = false
    /// Topics that nothing took, with the routing generation at the time.
    var idleTopics: [String: Int] = [:]

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<FeedThreadState>.fromOpaque(pointer).release() }
        }
        return key
    }()

    static var current: FeedThreadState {
        if let pointer = pthread_getspecific(key) { return Unmanaged<FeedThreadState>.fromOpaque(pointer).takeUnretainedValue() }
        let state = FeedThreadState()
        pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
        return state
    }
}
