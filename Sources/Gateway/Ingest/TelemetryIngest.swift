import Devices
import IoTCore
import Logging
import Storage

/// Turns telemetry messages into stored points: validation, extraction, batched commits.
///
/// Delivery guarantee (see also `MQTTClient`): libmosquitto acknowledges an incoming
/// QoS 1 message before the gateway sees it. A message handed to `accept` is committed
/// within one batch (normally milliseconds) and a graceful shutdown commits everything
/// queued; a crash of the gateway process loses at most the messages queued but not yet
/// committed. Redeliveries of a message carrying its own `ts` are stored once.
final class TelemetryIngest: Sendable {
    /// Telemetry topic → thing, from the registry; rebuilt when devices/ change.
    private let topics: LockedValue<[String: String]>
    private let queue: BatchQueue<QueuedMessage>
    private let metrics: GatewayMetrics
    private let log: RateLimitedLogger
    private let maxPayloadBytes: Int

    struct QueuedMessage: Sendable {
        var message: TelemetryMessage
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
            name: "iotgw-telemetry-writer", limit: configuration.ingestQueueLimit,
            maxBatch: configuration.ingestBatchSize
        ) { batch in
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

    static func topicMap(_ things: [ThingSpec]) -> [String: String] {
        var map: [String: String] = [:]
        for t in things { map[t.telemetryTopic] = t.name }
        return map
    }

    func start() { queue.start() }

    func updateThings(_ things: [ThingSpec]) { topics.set(Self.topicMap(things)) }

    /// The thing whose telemetry topic this is, if any.
    func thing(forTopic topic: String) -> String? { topics.get()[topic] }

    /// Validates and queues one message published on `topic` by `thing`; returns the
    /// rejection when it is refused. Called on the MQTT loop thread: blocks only when
    /// the queue is full.
    @discardableResult
    func accept(thing: String, topic: String, payload: [UInt8], parsed: JSONValue?, receivedAt: Int64)
        -> IngestRejection?
    {
        if payload.count > maxPayloadBytes { return reject(.tooLarge, thing: thing, topic: topic) }
        guard let parsed else { return reject(.invalidJSON, thing: thing, topic: topic) }
        guard case .object(let object) = parsed else { return reject(.notObject, thing: thing, topic: topic) }
        let message = TelemetryMessage(
            thing: thing, topic: topic, ts: TelemetryExtraction.timestamp(of: object) ?? receivedAt,
            receivedAt: receivedAt, payload: payload, points: TelemetryExtraction.points(of: object))
        queue.submit(QueuedMessage(message: message, receivedNanos: Clock.monotonicNanos()))
        return nil
    }

    /// Counts and logs a message refused before it reached the queue.
    @discardableResult
    func reject(_ reason: IngestRejection, thing: String?, topic: String) -> IngestRejection {
        metrics.rejected(reason).increment()
        log.warning(
            key: reason.rawValue + (thing ?? topic), "Rejected a message: \(reason.explanation)",
            metadata: ["thing": "\(thing ?? "-")", "topic": "\(topic)", "reason": "\(reason.rawValue)"])
        return reason
    }

    var queueDepth: Int { queue.depth }

    /// Waits until every queued message is committed.
    func flush() { queue.waitUntilIdle() }

    /// Commits what is queued and stops the writer thread.
    func close() { queue.close() }
}
