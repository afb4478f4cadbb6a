import Foundation
import IoTCore
import MQTT
import Synchronization

/// Shadow updates over MQTT against a gateway, and the same message count through a plain
/// broker as the reference (issue 4's benchmark).
///
/// Gateway phase: every thing publishes `updates` two-field `reported` updates at QoS 1,
/// each after the previous one was acknowledged, and the run ends when every update has
/// been answered on both `update/accepted` and `update/documents` (the gateway publishes
/// those only after the update is committed to SQLite). The answers are counted either by
/// every device on its own response topics, or (with `observer`) by one subscriber on
/// `$aws/things/+/shadow/update/{accepted,documents}`: the broker does the same work per
/// answer either way, but 1,000 libmosquitto clients receiving them cost this machine's two
/// cores more than the gateway does, and the load generator is not what is measured.
/// Raw phase: the same clients'
/// count of QoS 1 messages to `raw/{n}` on a reference broker, ending when one subscriber
/// received them all.
public struct ShadowUpdateBenchmark: Sendable {
    public struct Endpoint: Sendable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public var gateway: Endpoint
    /// (thing name, MQTT password) per simulated device.
    public var things: [(name: String, password: String)]
    public var updatesPerThing: Int
    /// A broker that accepts anonymous clients, for the reference run; nil skips it.
    public var reference: Endpoint?
    /// Credentials allowed to read every thing's shadow topics (the gateway's own); when set, one
    /// `MQTTLink` subscriber counts the answers instead of each device.
    public var observer: (username: String, password: String)?
    public var timeout: Duration = .seconds(300)

    public init(gateway: Endpoint, things: [(name: String, password: String)], updatesPerThing: Int, reference: Endpoint?) {
        self.gateway = gateway
        self.things = things
        self.updatesPerThing = updatesPerThing
        self.reference = reference
    }

    /// Messages and seconds of one phase.
    public struct Phase: Sendable {
        public var messages: Int
        public var seconds: Double
        public var rate: Double { Double(messages) / seconds }
    }

    public func run(progress: @Sendable (String) -> Void = { _ in }) async throws -> (gateway: Phase, reference: Phase?) {
        var raw: Phase?
        if let reference { raw = try await referencePhase(reference, progress: progress) }
        let gw = try await gatewayPhase(progress: progress)
        return (gw, raw)
    }

    private func gatewayPhase(progress: @Sendable (String) -> Void) async throws -> Phase {
        let loops = (0..<2).map { MQTTEventLoop(name: "bench-\($0)") }
        defer { for l in loops { l.shutdown() } }
        let accepted = Atomic<Int>(0)
        let documents = Atomic<Int>(0)
        let count: @Sendable (MQTTMessage) -> Void = { m in
            if m.topic.hasSuffix("/accepted") {
                accepted.add(1, ordering: .relaxed)
            } else if m.topic.hasSuffix("/documents") {
                documents.add(1, ordering: .relaxed)
            }
        }
        var clients: [MQTTClient] = []
        for (n, thing) in things.enumerated() {
            let client = try Self.client(gateway, id: thing.name, username: thing.name, password: thing.password, loop: loops[n % loops.count])
            if observer == nil { client.onMessage(count) }
            clients.append(client)
        }
        var observerLink: MQTTLink?
        if let observer {
            var c = MQTTLink.Configuration()
            c.host = gateway.host
            c.port = gateway.port
            c.clientID = "iotsim-bench-observer"
            c.username = observer.username
            c.password = observer.password
            c.coalescingDelay = .milliseconds(1)
            let link = MQTTLink(configuration: c)
            link.onMessage(count)
            try await link.connect()
            for answer in ["accepted", "documents"] {
                try await link.subscribe("$aws/things/+/shadow/update/\(answer)", qos: .atLeastOnce)
            }
            observerLink = link
        }
        progress("connecting \(clients.count) devices to the gateway")
        try await forEachConcurrently(clients, width: 200) { [observer] i, client in
            try await client.connect()
            guard observer == nil else { return }
            let prefix = "$aws/things/\(things[i].name)/shadow/update/"
            try await client.subscribe(prefix + "accepted", qos: .atLeastOnce)
            try await client.subscribe(prefix + "documents", qos: .atLeastOnce)
        }
        let total = things.count * updatesPerThing
        progress("publishing \(total) shadow updates")
        let seconds = try await timed(clients, topic: { "$aws/things/\(things[$0].name)/shadow/update" }) {
            accepted.load(ordering: .relaxed) >= total && documents.load(ordering: .relaxed) >= total
        } failure: {
            "only \(accepted.load(ordering: .relaxed)) accepted and \(documents.load(ordering: .relaxed)) documents of \(total) after \(timeout)"
        }
        await observerLink?.disconnect()
        return Phase(messages: total, seconds: seconds)
    }

    private func referencePhase(_ endpoint: Endpoint, progress: @Sendable (String) -> Void) async throws -> Phase {
        let loops = (0..<2).map { MQTTEventLoop(name: "bench-raw-\($0)") }
        defer { for l in loops { l.shutdown() } }
        let received = Atomic<Int>(0)
        let subscriber = try Self.client(endpoint, id: "bench-reference-subscriber", loop: loops[0])
        subscriber.onMessage { _ in received.add(1, ordering: .relaxed) }
        try await subscriber.connect()
        try await subscriber.subscribe("raw/#", qos: .atLeastOnce)
        let clients = try things.indices.map { try Self.client(endpoint, id: "bench-raw-\($0)", loop: loops[$0 % loops.count]) }
        progress("connecting \(clients.count) reference publishers")
        try await forEachConcurrently(clients, width: 200) { _, c in try await c.connect() }
        let total = things.count * updatesPerThing
        progress("publishing \(total) reference messages")
        let seconds = try await timed(clients, topic: { "raw/\($0)" }) {
            received.load(ordering: .relaxed) >= total
        } failure: {
            "the reference subscriber got \(received.load(ordering: .relaxed)) of \(total)"
        }
        await subscriber.disconnect()
        return Phase(messages: total, seconds: seconds)
    }

    /// Every client publishes `updatesPerThing` updates to its topic, one at a time at QoS 1;
    /// returns the seconds until `done` holds, then disconnects the clients.
    ///
    /// Each PUBACK publishes the client's next update from the event loop thread: awaiting
    /// every publish in a task per client cost the load generator more CPU than the gateway.
    private func timed(
        _ clients: [MQTTClient], topic: @escaping @Sendable (Int) -> String, done: () -> Bool,
        failure: () -> String
    ) async throws -> Double {
        let updates = updatesPerThing
        let failed = Mutex<String?>(nil)
        @Sendable func send(_ client: MQTTClient, _ i: Int, _ u: Int) {
            let payload = #"{"state":{"reported":{"temperature":\#(50 + u % 30),"seq":\#(u)}}}"#
            do { try client.publishNoWait(topic: topic(i), payload: Array(payload.utf8), qos: .atLeastOnce) } catch {
                failed.withLock { $0 = $0 ?? "publishing failed: \(error)" }
            }
        }
        for (i, client) in clients.enumerated() {
            let acked = Counter()
            client.onPublishAck { [weak client] _, reasonCode in
                guard reasonCode < 0x80 else {
                    failed.withLock { $0 = $0 ?? "the broker refused an update (reason code \(reasonCode))" }
                    return
                }
                let n = acked.value.add(1, ordering: .relaxed).newValue
                if n < updates, let client { send(client, i, n) }
            }
        }
        let start = ContinuousClock.now
        for (i, client) in clients.enumerated() where updates > 0 { send(client, i, 0) }
        while !done() {
            if let reason = failed.withLock({ $0 }) { throw SimulationError.benchmark(reason) }
            if ContinuousClock.now > start + timeout { throw SimulationError.benchmark(failure()) }
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = (ContinuousClock.now - start).seconds
        for c in clients { await c.disconnect() }
        return seconds
    }

    static func client(
        _ endpoint: Endpoint, id: String, username: String? = nil, password: String? = nil, loop: MQTTEventLoop
    ) throws -> MQTTClient {
        var c = MQTTClient.Configuration()
        c.host = endpoint.host
        c.port = endpoint.port
        c.clientID = id
        c.username = username
        c.password = password
        return try MQTTClient(configuration: c, eventLoop: loop)
    }
}

/// An atomic counter a `@Sendable` closure can hold.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Runs `body` for every element with at most `width` running at once.
func forEachConcurrently<T: Sendable>(
    _ items: [T], width: Int, _ body: @escaping @Sendable (Int, T) async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<min(width, items.count) {
            let i = next
            group.addTask { try await body(i, items[i]) }
            next += 1
        }
        while try await group.next() != nil {
            if next < items.count {
                let i = next
                group.addTask { try await body(i, items[i]) }
                next += 1
            }
        }
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
