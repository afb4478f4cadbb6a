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
/// those only after the update is committed to SQLite). Raw phase: the same clients'
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
        var clients: [MQTTClient] = []
        for (n, thing) in things.enumerated() {
            var c = MQTTClient.Configuration()
            c.host = gateway.host
            c.port = gateway.port
            c.clientID = thing.name
            c.username = thing.name
            c.password = thing.password
            let client = try MQTTClient(configuration: c, eventLoop: loops[n % loops.count])
            client.onMessage { m in
                if m.topic.hasSuffix("/accepted") {
                    accepted.add(1, ordering: .relaxed)
                } else if m.topic.hasSuffix("/documents") {
                    documents.add(1, ordering: .relaxed)
                }
            }
            clients.append(client)
        }
        progress("connecting \(clients.count) devices to the gateway")
        try await forEachConcurrently(clients, width: 200) { i, client in
            try await client.connect()
            let prefix = "$aws/things/\(things[i].name)/shadow/update/"
            try await client.subscribe(prefix + "accepted", qos: .atLeastOnce)
            try await client.subscribe(prefix + "documents", qos: .atLeastOnce)
        }
        let total = things.count * updatesPerThing
        progress("publishing \(total) shadow updates")
        let start = ContinuousClock.now
        try await forEachConcurrently(clients, width: clients.count) { i, client in
            let topic = "$aws/things/\(things[i].name)/shadow/update"
            for u in 0..<updatesPerThing {
                let payload = #"{"state":{"reported":{"temperature":\#(50 + u % 30),"seq":\#(u)}}}"#
                try await client.publish(topic: topic, payload: Array(payload.utf8), qos: .atLeastOnce)
            }
        }
        let deadline = start + timeout
        while accepted.load(ordering: .relaxed) < total || documents.load(ordering: .relaxed) < total {
            if ContinuousClock.now > deadline {
                throw SimulationError.benchmark(
                    "only \(accepted.load(ordering: .relaxed)) accepted and \(documents.load(ordering: .relaxed)) documents of \(total) after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = (ContinuousClock.now - start).seconds
        for c in clients { await c.disconnect() }
        return Phase(messages: total, seconds: seconds)
    }

    private func referencePhase(_ endpoint: Endpoint, progress: @Sendable (String) -> Void) async throws -> Phase {
        let loops = (0..<2).map { MQTTEventLoop(name: "bench-raw-\($0)") }
        defer { for l in loops { l.shutdown() } }
        let received = Atomic<Int>(0)
        var sc = MQTTClient.Configuration()
        sc.host = endpoint.host
        sc.port = endpoint.port
        sc.clientID = "bench-reference-subscriber"
        let subscriber = try MQTTClient(configuration: sc, eventLoop: loops[0])
        subscriber.onMessage { _ in received.add(1, ordering: .relaxed) }
        try await subscriber.connect()
        try await subscriber.subscribe("raw/#", qos: .atLeastOnce)
        var clients: [MQTTClient] = []
        for n in things.indices {
            var c = MQTTClient.Configuration()
            c.host = endpoint.host
            c.port = endpoint.port
            c.clientID = "bench-raw-\(n)"
            clients.append(try MQTTClient(configuration: c, eventLoop: loops[n % loops.count]))
        }
        progress("connecting \(clients.count) reference publishers")
        try await forEachConcurrently(clients, width: 200) { _, c in try await c.connect() }
        let total = things.count * updatesPerThing
        progress("publishing \(total) reference messages")
        let start = ContinuousClock.now
        try await forEachConcurrently(clients, width: clients.count) { i, client in
            for u in 0..<updatesPerThing {
                let payload = #"{"state":{"reported":{"temperature":\#(50 + u % 30),"seq":\#(u)}}}"#
                try await client.publish(topic: "raw/\(i)", payload: Array(payload.utf8), qos: .atLeastOnce)
            }
        }
        let deadline = start + timeout
        while received.load(ordering: .relaxed) < total {
            if ContinuousClock.now > deadline {
                throw SimulationError.benchmark("the reference subscriber got \(received.load(ordering: .relaxed)) of \(total)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = (ContinuousClock.now - start).seconds
        for c in clients { await c.disconnect() }
        await subscriber.disconnect()
        return Phase(messages: total, seconds: seconds)
    }
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
