import Broker
import Foundation
import MQTT
import XCTest

final class MQTTClientTests: XCTestCase {
    var broker: TestBroker!
    var loop: MQTTEventLoop!

    override func setUp() async throws {
        broker = try await TestBroker.start()
        loop = MQTTEventLoop(name: "test-loop")
    }

    override func tearDown() async throws {
        loop.shutdown()
        await broker.stop()
    }

    private func connectedClient(_ id: String, configure: (inout MQTTClient.Configuration) -> Void = { _ in }) async throws -> MQTTClient {
        var configuration = broker.clientConfiguration(id: id)
        configure(&configuration)
        let client = try MQTTClient(configuration: configuration, eventLoop: loop)
        try await client.connect()
        return client
    }

    func testConnectReportsConnectedAndDisconnectCloses() async throws {
        let client = try MQTTClient(configuration: broker.clientConfiguration(id: "c1"), eventLoop: loop)
        let events = Recorder<MQTTConnectionEvent>()
        client.onConnectionEvent { events.append($0) }
        try await client.connect()
        XCTAssertTrue(client.isConnected)
        await client.disconnect()
        XCTAssertFalse(client.isConnected)
        XCTAssertEqual(events.all, [.connected(sessionPresent: false), .closed])
        do {
            try await client.publish(topic: "a/b", payload: "x")
            XCTFail("publish after disconnect must throw")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .closed(clientID: "c1"))
        }
    }

    func testWrongPasswordIsRefusedWithClearError() async throws {
        let configuration = broker.clientConfiguration(id: "bad", user: (username: "test", password: "wrong"))
        let client = try MQTTClient(configuration: configuration, eventLoop: loop)
        do {
            try await client.connect()
            XCTFail("connect with a wrong password must throw")
        } catch let error as MQTTError {
            XCTAssertEqual(
                error.description,
                "The broker at 127.0.0.1:\(broker.port) refused the connection: not authorised (bad username or password)."
            )
        }
        XCTAssertFalse(client.isConnected)
    }

    func testUnreachablePortFailsFast() async throws {
        let port = try FreePort.pick()
        let client = try MQTTClient(configuration: .init(port: port, clientID: "nobody"), eventLoop: loop)
        let started = ContinuousClock.now
        do {
            try await client.connect()
            XCTFail("connect to a closed port must throw")
        } catch let error as MQTTError {
            XCTAssertEqual(error.description, "Could not connect to 127.0.0.1:\(port): Connection refused.")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
    }

    func testQoS0AndQoS1RoundTripKeepPayloadBytes() async throws {
        let subscriber = try await connectedClient("sub")
        let received = Recorder<MQTTMessage>()
        subscriber.onMessage { received.append($0) }
        try await subscriber.subscribe("round/#", qos: .atLeastOnce)
        let publisher = try await connectedClient("pub")
        let bytes = (0...255).map { UInt8($0) } + [0, 0, 255]
        try await publisher.publish(topic: "round/q0", payload: bytes, qos: .atMostOnce)
        try await publisher.publish(topic: "round/q1", payload: bytes, qos: .atLeastOnce, retain: false)
        try await waitUntil("both messages arrive") { received.count == 2 }
        let byTopic = Dictionary(uniqueKeysWithValues: received.all.map { ($0.topic, $0) })
        XCTAssertEqual(byTopic["round/q0"]?.payload, bytes)
        XCTAssertEqual(byTopic["round/q0"]?.qos, .atMostOnce)
        XCTAssertEqual(byTopic["round/q1"]?.payload, bytes)
        XCTAssertEqual(byTopic["round/q1"]?.qos, .atLeastOnce)
        await publisher.disconnect()
        await subscriber.disconnect()
    }

    func testMessagesStreamDeliversAndEndsOnDisconnect() async throws {
        let subscriber = try await connectedClient("stream")
        let stream = subscriber.messages
        try await subscriber.subscribe("s/1")
        try await subscriber.publish(topic: "s/1", payload: "hello", qos: .atLeastOnce)
        var iterator = stream.makeAsyncIterator()
        let first = await iterator.next()
        XCTAssertEqual(first.map { String(decoding: $0.payload, as: UTF8.self) }, "hello")
        await subscriber.disconnect()
        let end = await iterator.next()
        XCTAssertNil(end)
    }

    func testAwsShadowTopicIsDeliveredOnlyToExplicitSubscription() async throws {
        let everything = try await connectedClient("hash")
        let shadow = try await connectedClient("shadow")
        let wildcardMessages = Recorder<String>()
        let shadowMessages = Recorder<String>()
        everything.onMessage { wildcardMessages.append($0.topic) }
        shadow.onMessage { shadowMessages.append($0.topic) }
        try await everything.subscribe("#")
        try await shadow.subscribe("$aws/things/x/shadow/update")
        let publisher = try await connectedClient("pub")
        try await publisher.publish(topic: "$aws/things/x/shadow/update", payload: "{}", qos: .atLeastOnce)
        try await publisher.publish(topic: "plain/after", payload: "{}", qos: .atLeastOnce)
        try await waitUntil("the plain message reaches '#'") { wildcardMessages.all.contains("plain/after") }
        try await waitUntil("the shadow message reaches its subscriber") { shadowMessages.count == 1 }
        XCTAssertEqual(shadowMessages.all, ["$aws/things/x/shadow/update"])
        XCTAssertFalse(wildcardMessages.all.contains("$aws/things/x/shadow/update"))
    }

    func testThousandQoS1PublishesAreAllAcknowledged() async throws {
        let publisher = try await connectedClient("many")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1000 {
                group.addTask { try await publisher.publish(topic: "bulk/\(index % 10)", payload: [UInt8](repeating: 7, count: 50), qos: .atLeastOnce) }
            }
            try await group.waitForAll()
        }
        let acked = Recorder<Int32>()
        publisher.onPublishAck { mid, _ in acked.append(mid) }
        var mids = Set<Int32>()
        for index in 0..<1000 {
            mids.insert(try publisher.publishNoWait(topic: "bulk/\(index % 10)", payload: [1, 2, 3], qos: .atLeastOnce))
        }
        try await waitUntil("1000 fire-and-forget publishes are acknowledged") { acked.count >= 1000 }
        XCTAssertEqual(Set(acked.all), mids)
        await publisher.disconnect()
    }

    func testReconnectsAndResubscribesAfterBrokerRestart() async throws {
        let events = Recorder<MQTTConnectionEvent>()
        let received = Recorder<String>()
        let subscriber = try MQTTClient(configuration: broker.clientConfiguration(id: "resub"), eventLoop: loop)
        subscriber.onConnectionEvent { events.append($0) }
        subscriber.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await subscriber.connect()
        try await subscriber.subscribe("restart/topic")
        let publisher = try await connectedClient("restart-pub")

        try await broker.restart()
        try await waitUntil("the subscriber reconnects") { subscriber.isConnected && subscriber.reconnectCount == 1 }
        try await waitUntil("the publisher reconnects") { publisher.isConnected }
        XCTAssertTrue(events.all.contains { if case .disconnected = $0 { true } else { false } })
        XCTAssertTrue(events.all.contains { if case .reconnecting = $0 { true } else { false } })

        // The re-SUBSCRIBE travels on another connection than the publish: publish until one arrives.
        let deadline = ContinuousClock.now + .seconds(10)
        var sent = 0
        while received.count == 0 && ContinuousClock.now < deadline {
            sent += 1
            try await publisher.publish(topic: "restart/topic", payload: "after-\(sent)", qos: .atLeastOnce)
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertGreaterThan(received.count, 0, "no message published after the restart arrived")
        XCTAssertTrue(received.all[0].hasPrefix("after-"))
    }

    func testQoS1PublishMadeWhileBrokerIsDownCompletesAfterReconnect() async throws {
        let publisher = try await connectedClient("outage-pub")
        await broker.kill()
        try await waitUntil("the client notices the broker is gone") { !publisher.isConnected }
        let pending = Task { try await publisher.publish(topic: "outage/t", payload: "kept", qos: .atLeastOnce) }
        do {
            try await publisher.publish(topic: "outage/t", payload: "lost", qos: .atMostOnce)
            XCTFail("QoS 0 while disconnected must fail at once")
        } catch let error as MQTTError {
            guard case .publishFailed = error else { return XCTFail("unexpected error: \(error)") }
        }
        try await broker.restart()
        try await pending.value
        XCTAssertTrue(publisher.isConnected)
    }

    func testPersistentSessionReceivesMessagesPublishedWhileAway() async throws {
        let persistent: (inout MQTTClient.Configuration) -> Void = { $0.cleanSession = false }
        let first = try await connectedClient("persist", configure: persistent)
        try await first.subscribe("offline/#", qos: .atLeastOnce)
        await first.disconnect()

        let publisher = try await connectedClient("offline-pub")
        for index in 0..<5 {
            try await publisher.publish(topic: "offline/\(index)", payload: "m\(index)", qos: .atLeastOnce)
        }

        let events = Recorder<MQTTConnectionEvent>()
        let received = Recorder<String>()
        var configuration = broker.clientConfiguration(id: "persist")
        configuration.cleanSession = false
        let second = try MQTTClient(configuration: configuration, eventLoop: loop)
        second.onConnectionEvent { events.append($0) }
        second.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await second.connect()
        try await waitUntil("the 5 queued messages arrive") { received.count == 5 }
        XCTAssertEqual(received.all, ["m0", "m1", "m2", "m3", "m4"])
        XCTAssertEqual(events.all.first, .connected(sessionPresent: true))
        await second.disconnect()
    }

    func testFiveHundredClientsShareOneLoop() async throws {
        let subscriber = try await connectedClient("fleet-sub")
        let received = Recorder<String>()
        subscriber.onMessage { received.append($0.topic) }
        try await subscriber.subscribe("fleet/+/telemetry")
        var clients: [MQTTClient] = []
        for index in 0..<500 {
            clients.append(try MQTTClient(configuration: broker.clientConfiguration(id: "dev-\(index)"), eventLoop: loop))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    try await client.connect()
                    try await client.publish(topic: "fleet/dev-\(index)/telemetry", payload: "{\"t\":\(index)}", qos: .atLeastOnce)
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(loop.clientCount, 501)
        try await waitUntil("every device's message arrives") { received.count == 500 }
        XCTAssertEqual(Set(received.all).count, 500)
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.disconnect() } }
        }
        try await waitUntil("disconnected clients leave the loop") { loop.clientCount == 1 }
    }

    func testMQTT5ConnectPublishSubscribe() async throws {
        let v5: (inout MQTTClient.Configuration) -> Void = { $0.protocolVersion = .v5 }
        let subscriber = try await connectedClient("v5-sub", configure: v5)
        let received = Recorder<MQTTMessage>()
        subscriber.onMessage { received.append($0) }
        try await subscriber.subscribe("v5/#", qos: .exactlyOnce)
        let publisher = try await connectedClient("v5-pub", configure: v5)
        try await publisher.publish(topic: "v5/a", payload: "one", qos: .atLeastOnce)
        try await publisher.publish(topic: "v5/b", payload: "two", qos: .exactlyOnce)
        try await waitUntil("both v5 messages arrive") { received.count == 2 }
        XCTAssertEqual(Set(received.all.map(\.topic)), ["v5/a", "v5/b"])

        let wrong = try MQTTClient(configuration: {
            var c = broker.clientConfiguration(id: "v5-bad", user: (username: "test", password: "nope"))
            c.protocolVersion = .v5
            return c
        }(), eventLoop: loop)
        do {
            try await wrong.connect()
            XCTFail("a wrong password must be refused with MQTT 5 too")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .connectionRefused(broker: "127.0.0.1:\(broker.port)", reason: "not authorised (bad username or password)"))
        }
    }

    func testInvalidFilterAndTopicAreRejected() async throws {
        let client = try await connectedClient("invalid")
        do {
            try await client.subscribe("a/#/b")
            XCTFail("a misplaced '#' must be rejected")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .invalidFilter("a/#/b"))
        }
        XCTAssertThrowsError(try client.publishNoWait(topic: "a/+", payload: [1])) { error in
            XCTAssertEqual(error as? MQTTError, .invalidTopic("a/+"))
        }
    }
}
