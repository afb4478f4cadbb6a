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
/// answer either way, and the load generator's is smaller. The devices are one
/// `MQTTPublisherFleet` (1,000 connections on two threads).
/// Raw phase: the same count of QoS 1 messages from as many connections to `raw/{n}` on a
/// reference broker, ending when one subscriber (an `MQTTLink`, like the observer) received them all.
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
        let accepted = Atomic<Int>(0)
        let documents = Atomic<Int>(0)
        let accepting = Array("/accepted".utf8)
        let documenting = Array("/documents".utf8)
        let count: @Sendable (UnsafeRawBufferPointer) -> Void = { topic in
            if hasSuffix(topic, accepting) {
                accepted.add(1, ordering: .relaxed)
            } else if hasSuffix(topic, documenting) {
                documents.add(1, ordering: .relaxed)
            }
        }
        var observerLink: MQTTLink?
        if let observer {
            let link = Self.subscriber(gateway, id: "iotsim-bench-observer", username: observer.username, password: observer.password)
            link.onMessage { message in
                var topic = message.topic
                topic.withUTF8 { count(UnsafeRawBufferPointer($0)) }
            }
            try await link.connect()
            for answer in ["accepted", "documents"] {
                try await link.subscribe("$aws/things/+/shadow/update/\(answer)", qos: .atLeastOnce)
            }
            observerLink = link
        }
        let members = things.map { thing in
            let prefix = "$aws/things/\(thing.name)/shadow/update"
            return MQTTPublisherFleet.Member(
                clientID: thing.name, username: thing.name, password: thing.password, topic: prefix,
                subscriptions: observer == nil ? [prefix + "/accepted", prefix + "/documents"] : [])
        }
        let fleet = MQTTPublisherFleet(host: gateway.host, port: gateway.port, members: members)
        progress("connecting \(members.count) devices to the gateway")
        try await fleet.connect()
        let total = things.count * updatesPerThing
        progress("publishing \(total) shadow updates")
        let seconds = try await timed(fleet, onMessage: count) {
            accepted.load(ordering: .relaxed) >= total && documents.load(ordering: .relaxed) >= total
        } failure: {
            "only \(accepted.load(ordering: .relaxed)) accepted and \(documents.load(ordering: .relaxed)) documents of \(total) after \(timeout)"
        }
        await observerLink?.disconnect()
        return Phase(messages: total, seconds: seconds)
    }

    private func referencePhase(_ endpoint: Endpoint, progress: @Sendable (String) -> Void) async throws -> Phase {
        let received = Atomic<Int>(0)
        let subscriber = Self.subscriber(endpoint, id: "bench-reference-subscriber")
        subscriber.onMessage { _ in received.add(1, ordering: .relaxed) }
        try await subscriber.connect()
        try await subscriber.subscribe("raw/#", qos: .atLeastOnce)
        let fleet = MQTTPublisherFleet(
            host: endpoint.host, port: endpoint.port, members: things.indices.map { .init(clientID: "bench-raw-\($0)", topic: "raw/\($0)") })
        progress("connecting \(things.count) reference publishers")
        try await fleet.connect()
        let total = things.count * updatesPerThing
        progress("publishing \(total) reference messages")
        let seconds = try await timed(fleet, onMessage: { _ in }) {
            received.load(ordering: .relaxed) >= total
        } failure: {
            "the reference subscriber got \(received.load(ordering: .relaxed)) of \(total)"
        }
        await subscriber.disconnect()
        return Phase(messages: total, seconds: seconds)
    }

    /// Every member publishes `updatesPerThing` messages, one at a time at QoS 1 (the next when the
    /// previous one's PUBACK arrived); returns the seconds until `done` holds, then stops the fleet.
    ///
    /// The devices are an `MQTTPublisherFleet`, not 1,000 libmosquitto clients: on this 2-core
    /// machine those cost a third as much CPU as the broker, taken from what is measured.
    private func timed(
        _ fleet: MQTTPublisherFleet, onMessage: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, done: () -> Bool,
        failure: () -> String
    ) async throws -> Double {
        let start = ContinuousClock.now
        fleet.start(messages: updatesPerThing, payload: { _, u in
            Array(#"{"state":{"reported":{"temperature":\#(50 + u % 30),"seq":\#(u)}}}"#.utf8)
        }, onMessage: onMessage)
        do {
            while !done() {
                if let reason = fleet.failure { throw SimulationError.benchmark(reason) }
                if ContinuousClock.now > start + timeout { throw SimulationError.benchmark(failure()) }
                try await Task.sleep(for: .milliseconds(5))
            }
        } catch {
            await fleet.stop()
            throw error
        }
        let seconds = (ContinuousClock.now - start).seconds
        await fleet.stop()
        return seconds
    }

    /// One subscriber that reads in large chunks and acknowledges in batches.
    static func subscriber(_ endpoint: Endpoint, id: String, username: String? = nil, password: String? = nil) -> MQTTLink {
        var c = MQTTLink.Configuration()
        c.host = endpoint.host
        c.port = endpoint.port
        c.clientID = id
        c.username = username
        c.password = password
        c.coalescingDelay = .milliseconds(1)
        return MQTTLink(configuration: c)
    }
}

/// Whether `bytes` ends with `suffix`.
private func hasSuffix(_ bytes: UnsafeRawBufferPointer, _ suffix: [UInt8]) -> Bool {
    bytes.count >= suffix.count && bytes[(bytes.count - suffix.count)...].elementsEqual(suffix)
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
