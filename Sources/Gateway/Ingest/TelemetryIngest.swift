import Devices
import IoTCore
import Logging
import Storage
import Synchronization

/// Turns telemetry messages into stored points: validation, extraction, batched commits.
///
/// Delivery guarantee (see also `MQTTLink`): the link acknowledges an incoming QoS 1
/// message once `endOfBatch` has queued it here. A queued message is committed within one
/// batch (normally a few milliseconds) and a graceful shutdown commits everything queued; a
/// crash of the gateway process loses at most the messages queued but not yet committed.
/// Redeliveries of a message carrying its own `ts` are stored once.
final class TelemetryIngest: Sendable {
    /// Telemetry topic → thing, from the registry; rebuilt when devices/ change.
    private let topics: LockedValue<[String: String]>
    private let queue: BatchQueue<QueuedMessage>
    /// Messages accepted from the current chunk the link read; queued together by `endOfBatch`.
    private let pending = LockedValue<[QueuedMessage]>([])
    private let metrics: GatewayMetrics
    private let log: RateLimitedLogger
    private let maxPayloadBytes: Int

    /// A message as received; parsed and turned into points on the writer thread.
    struct QueuedMessage: Sendable {
        var thing: String
        var topic: String
        var payload: [UInt8]
        /// Set when a rule already parsed the payload on the loop thread.
        var parsed: JSONValue?
        var receivedAt: Int64
        var receivedNanos: UInt64
    }

    init(
        things: [ThingSpec], store: TelemetryStore, metrics: GatewayMetrics, configuration: GatewayConfiguration,
        logger: Logger
    ) {
        topics = LockedValue(Self.topicMap(things))
        self.metrics = metrics
        maxPayloadBytes = configuration.maxPayloadBytes
        let log = RateLimitedLogger(logger: logger)
        self.log = log
        queue = BatchQueue(
            name: "ingest-writer", limit: configuration.ingestQueueLimit,
            maxBatch: configuration.ingestBatchSize
        ) { queued in
            let batch = Self.prepare(queued, metrics: metrics, log: log)
            do {
                let r = try store.insert(batch.map(\.message))
                metrics.stored.increment(by: r.messages)
                metrics.pointsStored.increment(by: r.points)
                metrics.duplicates.increment(by: r.duplicates)
                let now = Clock.monotonicNanos()
                for m in batch { metrics.ingestLatency.recordNanoseconds(Int64(now - m.receivedNanos)) }
            } catch {
                // A failed batch is retried one message at a time so one bad row cannot
                // take its neighbours down with it.
                for m in batch {
                    do {
                        let r = try store.insert([m.message])
                        metrics.stored.increment(by: r.messages)
                        metrics.pointsStored.increment(by: r.points)
                        metrics.duplicates.increment(by: r.duplicates)
                    } catch {
                        metrics.storeErrors.increment()
                        log.warning(
                            key: "store", "Could not store a telemetry message",
                            metadata: ["thing": "\(m.message.thing)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Parses and extracts on the writer thread; refused messages are counted and logged here.
    static func prepare(_ queued: [QueuedMessage], metrics: GatewayMetrics, log: RateLimitedLogger)
        -> [(message: TelemetryMessage, receivedNanos: UInt64)]
    {
        var out: [(message: TelemetryMessage, receivedNanos: UInt64)] = []
        out.reserveCapacity(queued.count)
        for q in queued {
            guard let parsed = q.parsed ?? (try? JSONValue.parse(q.payload)) else {
                reject(.invalidJSON, thing: q.thing, topic: q.topic, metrics: metrics, log: log)
                continue
            }
            guard case .object(let object) = parsed else {
                reject(.notObject, thing: q.thing, topic: q.topic, metrics: metrics, log: log)
                continue
            }
            let message = TelemetryMessage(
                thing: q.thing, topic: q.topic, ts: TelemetryExtraction.timestamp(of: object) ?? q.receivedAt,
                receivedAt: q.receivedAt, payload: q.payload, points: TelemetryExtraction.points(of: object))
            out.append((message, q.receivedNanos))
        }
        return out
    }

    static func topicMap(_ things: [ThingSpec]) -> [String: String] {
        var map: [String: String] = [:]
        for t in things { map[t.telemetryTopic] = t.name }
        return map
    }

    func start() { queue.start() }

    func updateThings(_ things: [ThingSpec]) {
        topics.set(Self.topicMap(things))
        thingsChanged.add(1, ordering: .releasing)
    }

    /// Changes whenever `updateThings` does (a topic that was nobody's may be a thing's now).
    var generation: Int { thingsChanged.load(ordering: .acquiring) }
    private let thingsChanged = Atomic<Int>(0)

    /// The thing whose telemetry topic this is, if any.
    func thing(forTopic topic: String) -> String? { topics.get()[topic] }

    /// Queues one message published on `topic` by `thing` (`parsed` when a rule already
    /// parsed it). Called on the MQTT link thread: blocks only when the queue is full.
    func accept(thing: String, topic: String, payload: [UInt8], parsed: JSONValue?, receivedAt: Int64) {
        if payload.count > maxPayloadBytes {
            reject(.tooLarge, thing: thing, topic: topic)
            return
        }
        let message = QueuedMessage(
            thing: thing, topic: topic, payload: payload, parsed: parsed, receivedAt: receivedAt,
            receivedNanos: Clock.monotonicNanos())
        submit(
            pending.withLock { p in
                p.append(message)
                return Self.take(&p, atLeast: Self.pendingLimit)
            })
    }

    /// Hands a chunk this long to the writer even before the link's chunk ends.
    private static let pendingLimit = 1024

    /// Queues what `accept` collected; the link calls it after each chunk, before acknowledging it.
    func endOfBatch() { submit(pending.withLock { Self.take(&$0, atLeast: 1) }) }

    /// Empties `pending` into the result once it holds `count` messages (else returns none).
    private static func take(_ pending: inout [QueuedMessage], atLeast count: Int) -> [QueuedMessage] {
        guard pending.count >= count else { return [] }
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    private func submit(_ batch: [QueuedMessage]) {
        if !batch.isEmpty { queue.submit(contentsOf: batch) }
    }

    /// Counts and logs a refused message.
    func reject(_ reason: IngestRejection, thing: String?, topic: String) {
        Self.reject(reason, thing: thing, topic: topic, metrics: metrics, log: log)
    }

    static func reject(
        _ reason: IngestRejection, thing: String?, topic: String, metrics: GatewayMetrics, log: RateLimitedLogger
    ) {
        metrics.rejected(reason).increment()
        log.warning(
            key: reason.rawValue + (thing ?? topic), "Rejected a message: \(reason.explanation)",
            metadata: ["thing": "\(thing ?? "-")", "topic": "\(topic)", "reason": "\(reason.rawValue)"])
    }

    var queueDepth: Int { queue.depth }

    /// Waits until every queued message is committed.
    func flush() {
        endOfBatch()
        queue.waitUntilIdle()
    }

    /// Commits what is queued and stops the writer thread.
    func close() {
        endOfBatch()
        queue.close()
    }
}
