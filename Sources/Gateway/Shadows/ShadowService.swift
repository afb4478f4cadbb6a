import Foundation
import IoTCore
import Logging
import MQTT
import Shadows
import Storage

/// The outcome of one shadow request, as REST answers it.
public enum ShadowOutcome: Sendable {
    /// The accepted document (get/update/delete) and the shadow's version after the request.
    case accepted(body: [UInt8], version: Int64)
    case rejected(ShadowError)
}

/// Serves device shadows for MQTT and REST alike.
///
/// Requests for one shadow are serialized by routing every request for a key to the same
/// shard: a dedicated thread that applies requests in arrival order against a write-through
/// cache, commits each batch in one transaction, and only then publishes `accepted`,
/// `delta` and `documents` — so no update is lost, versions have no gaps, and nothing is
/// announced that is not durable. Different shards run in parallel.
public final class ShadowService: Sendable {
    struct Request: Sendable {
        var key: ShadowKey
        var operation: ShadowOperation
        var payload: [UInt8]
        /// Set for REST; MQTT requests are answered on `/accepted` and `/rejected`.
        var reply: (@Sendable (ShadowOutcome) -> Void)?
    }

    private let shards: [BatchQueue<Request>]
    /// Hot shadows by key; shards write through it after commit, REST GET reads it.
    private let cache: LockedValue<[ShadowKey: StoredShadow]>
    private let store: ShadowStore
    private let limits: ShadowLimits
    private let cacheLimit: Int
    /// The last GET document built per shadow: the same stored version within the same second
    /// (the document's `timestamp`) gives the same bytes, so hot shadows are rendered once a second.
    private let getBodies = LockedValue<[ShadowKey: (version: Int64, second: Int64, body: [UInt8])]>([:])
    private let log: RateLimitedLogger
    let publisher: LockedValue<MQTTLink?>
    /// Called with every `update/documents` message after commit (the rules engine's feed).
    let documentsObserver: LockedValue<(@Sendable (String, [UInt8]) -> Void)?>

    init(store: ShadowStore, limits: ShadowLimits = ShadowLimits(), shards: Int = 2, cacheLimit: Int = 50_000, logger: Logger) {
        self.store = store
        self.limits = limits
        self.cacheLimit = cacheLimit
        cache = LockedValue([:])
        publisher = LockedValue(nil)
        documentsObserver = LockedValue(nil)
        log = RateLimitedLogger(logger: logger)
        var queues: [BatchQueue<Request>] = []
        // The closure needs `self`, which does not exist yet: route through a box set below.
        let box = LockedValue<ShadowService?>(nil)
        // No lingering for a fuller batch: REST callers wait for the commit.
        for n in 0..<max(1, shards) {
            queues.append(
                BatchQueue(name: "shadows-\(n)", limit: 20_000, maxBatch: 1000, linger: .zero) { batch in
                    box.get()?.process(batch)
                })
        }
        self.shards = queues
        box.set(self)
    }

    func start() { for s in shards { s.start() } }

    /// Commits what is queued and stops the shard threads.
    func close() { for s in shards { s.close() } }

    /// Waits until every queued request is processed.
    func flush() { for s in shards { s.waitUntilIdle() } }

    private func shard(for key: ShadowKey) -> BatchQueue<Request> {
        var h = Hasher()
        h.combine(key)
        return shards[Int(UInt(bitPattern: h.finalize()) % UInt(shards.count))]
    }

    /// Handles a message on a shadow request topic; returns false when `topic` is not one.
    /// Called on the MQTT loop thread.
    func handleMQTT(topic: String, payload: [UInt8]) -> Bool {
        let parsed: (key: ShadowKey, operation: ShadowOperation)?
        do {
            parsed = try ShadowTopic.parseRequest(topic)
        } catch {
            // A bad thing or shadow name: there is no valid response topic to answer on.
            log.warning(key: "badname", "Ignored a shadow request with an invalid name: \(error.message)", metadata: ["topic": "\(topic)"])
            return true
        }
        guard let parsed else { return false }
        shard(for: parsed.key).submit(Request(key: parsed.key, operation: parsed.operation, payload: payload, reply: nil))
        return true
    }

    /// Applies a REST request and returns its outcome once committed.
    /// Reads do not queue: they see the latest committed version.
    public func perform(_ operation: ShadowOperation, key: ShadowKey, payload: [UInt8]) async -> ShadowOutcome {
        if operation == .get { return read(key) }
        return await withCheckedContinuation { (c: CheckedContinuation<ShadowOutcome, Never>) in
            let accepted = shard(for: key).submit(
                Request(key: key, operation: operation, payload: payload, reply: { c.resume(returning: $0) }))
            if !accepted { c.resume(returning: .rejected(ShadowError(code: 503, message: "The gateway is shutting down"))) }
        }
    }

    /// A GET without a request body (REST `GetThingShadow`): the latest committed version,
    /// without waiting; safe to call from an event loop (a cache hit, else one SQLite read).
    public func read(_ key: ShadowKey) -> ShadowOutcome { get(key, payload: []) }

    private func get(_ key: ShadowKey, payload: [UInt8]) -> ShadowOutcome {
        let stored = cachedOrLoaded(key)
        // A request body may carry a clientToken that the answer echoes: render those each time.
        guard payload.isEmpty, let stored, !stored.isDeleted else { return Self.get(stored: stored, key: key, payload: payload) }
        let second = Clock.epochMillis() / 1000
        if let hit = getBodies.withLock({ $0[key] }), hit.version == stored.version, hit.second == second {
            return .accepted(body: hit.body, version: stored.version)
        }
        let outcome = Self.get(stored: stored, key: key, payload: payload, now: second)
        if case .accepted(let body, _) = outcome {
            getBodies.withLock { bodies in
                if bodies.count >= cacheLimit { bodies.removeAll(keepingCapacity: true) }
                bodies[key] = (stored.version, second, body)
            }
        }
        return outcome
    }

    /// The current stored shadow (possibly a deletion marker), from the cache or SQLite.
    public func current(_ key: ShadowKey) -> StoredShadow? { cachedOrLoaded(key) }

    /// Named shadows of a thing, for ListNamedShadowsForThing.
    public func namedShadows(thing: String, after: String?, limit: Int) throws -> [String] {
        try store.namedShadows(thing: thing, after: after, limit: limit)
    }

    private func cachedOrLoaded(_ key: ShadowKey) -> StoredShadow? {
        if let s = cache.withLock({ $0[key] }) { return s }
        return try? load(key)
    }

    private func load(_ key: ShadowKey) throws -> StoredShadow? {
        guard let row = try store.load(thing: key.thingName, name: key.shadowName ?? "") else { return nil }
        return try StoredShadow(decoding: row.document)
    }

    static func get(stored: StoredShadow?, key: ShadowKey, payload: [UInt8], now: Int64 = Clock.epochMillis() / 1000) -> ShadowOutcome {
        switch ShadowEngine.get(stored: stored, key: key, request: payload, now: now) {
        case .success(let body): return .accepted(body: body, version: stored?.version ?? 0)
        case .failure(let e): return .rejected(e)
        }
    }

    /// One batch on a shard thread: apply in order, commit once, then publish and reply.
    private func process(_ batch: [Request]) {
        let now = Clock.epochMillis()
        var working: [ShadowKey: StoredShadow?] = [:]
        var rows: [ShadowKey: ShadowRow] = [:]
        var outgoing: [(topic: String, payload: [UInt8])] = []
        var documents: [(topic: String, payload: [UInt8])] = []
        var replies: [(reply: @Sendable (ShadowOutcome) -> Void, outcome: ShadowOutcome)] = []

        for request in batch {
            let key = request.key
            let stored: StoredShadow?
            if let w = working[key] {
                stored = w
            } else if let c = cache.withLock({ $0[key] }) {
                stored = c
            } else {
                do { stored = try load(key) } catch {
                    let e = ShadowError(code: 500, message: "Internal service failure")
                    log.warning(key: "load", "Could not read a stored shadow", metadata: ["shadow": "\(key)", "error": "\(error)"])
                    finish(request, .rejected(e), now: now, outgoing: &outgoing, replies: &replies)
                    continue
                }
            }
            // Accepted messages go out for REST requests too, as AWS does, so devices
            // listening on `/accepted` see changes made over HTTP. Order: accepted, delta, documents.
            let acceptedTopic = ShadowTopic.response(key, .accepted(request.operation))
            let outcome: ShadowOutcome
            switch request.operation {
            case .get:
                outcome = Self.get(stored: stored, key: key, payload: request.payload)
                if case .accepted(let body, _) = outcome { outgoing.append((acceptedTopic, body)) }
            case .update:
                switch ShadowEngine.update(stored: stored, request: request.payload, now: now / 1000, limits: limits) {
                case .success(let r):
                    working[key] = r.stored
                    rows[key] = row(key, r.stored, now: now)
                    outgoing.append((acceptedTopic, r.accepted))
                    if let delta = r.delta { outgoing.append((ShadowTopic.response(key, .updateDelta), delta)) }
                    let docTopic = ShadowTopic.response(key, .updateDocuments)
                    outgoing.append((docTopic, r.documents))
                    documents.append((docTopic, r.documents))
                    outcome = .accepted(body: r.accepted, version: r.stored.version)
                case .failure(let e):
                    outcome = .rejected(e)
                }
            case .delete:
                switch ShadowEngine.delete(stored: stored, key: key, request: request.payload, now: now / 1000) {
                case .success(let r):
                    working[key] = r.stored
                    rows[key] = row(key, r.stored, now: now)
                    outgoing.append((acceptedTopic, r.accepted))
                    outcome = .accepted(body: r.accepted, version: r.stored.version)
                case .failure(let e):
                    outcome = .rejected(e)
                }
            }
            finish(request, outcome, now: now, outgoing: &outgoing, replies: &replies)
        }

        do {
            try store.save(Array(rows.values))
        } catch {
            // Nothing of this batch is durable: answer every request that changed state with
            // a 500 and forget the cached versions so the next request reloads from SQLite.
            log.warning(key: "save", "Could not store shadows", metadata: ["error": "\(error)"])
            cache.withLock { c in for k in rows.keys { c[k] = nil } }
            let e = ShadowError(code: 500, message: "Internal service failure")
            for (reply, _) in replies { reply(.rejected(e)) }
            return
        }
        cache.withLock { c in
            if c.count + working.count > cacheLimit { c.removeAll(keepingCapacity: true) }
            for (k, v) in working { c[k] = v }
        }
        if let client = publisher.get() {
            for m in outgoing {
                do { try client.publishNoWait(topic: m.topic, payload: m.payload, qos: .atLeastOnce) } catch {
                    log.warning(key: "publish", "Could not publish a shadow response", metadata: ["topic": "\(m.topic)", "error": "\(error)"])
                }
            }
        }
        if let observe = documentsObserver.get() { for d in documents { observe(d.topic, d.payload) } }
        for (reply, outcome) in replies { reply(outcome) }
    }

    /// Queues the answer: a REST caller gets its outcome after commit; a rejected MQTT
    /// request is answered on `/rejected`.
    private func finish(
        _ request: Request, _ outcome: ShadowOutcome, now: Int64, outgoing: inout [(topic: String, payload: [UInt8])],
        replies: inout [(reply: @Sendable (ShadowOutcome) -> Void, outcome: ShadowOutcome)]
    ) {
        if let reply = request.reply {
            replies.append((reply, outcome))
        } else if case .rejected(let e) = outcome {
            outgoing.append((ShadowTopic.response(request.key, .rejected(request.operation)), e.responseBody(now: now / 1000)))
        }
    }

    private func row(_ key: ShadowKey, _ stored: StoredShadow, now: Int64) -> ShadowRow {
        ShadowRow(
            thing: key.thingName, name: key.shadowName ?? "", document: stored.encoded, version: stored.version,
            deleted: stored.isDeleted, updatedAt: now)
    }
}
