import Broker
import Foundation
import MQTT
import XCTest

/// `MQTTPublisherFleet` (iotsim's load generator for benchmarks) against a real mosquitto.
final class MQTTPublisherFleetTests: XCTestCase {
    var broker: TestBroker!

    override func setUp() async throws {
        // One message in flight per client: a message only follows the previous one's PUBACK,
        // so receiving every message proves the fleet acknowledges what it receives.
        broker = try await TestBroker.start { config in config.maxInflightMessages = 1 }
    }

    override func tearDown() async throws {
        await broker.stop()
    }

    /// An `MQTTLink` subscribed to every member's topic, and what it receives.
    private func subscribeToFleetTopics() async throws -> (MQTTLink, Recorder<MQTTMessage>) {
        var c = MQTTLink.Configuration()
        c.host = broker.host
        c.port = broker.port
        c.username = broker.users[0].username
        c.password = broker.users[0].password
        let subscriber = MQTTLink(configuration: c)
        let received = Recorder<MQTTMessage>()
        subscriber.onMessage { received.append($0) }
        try await subscriber.connect()
        try await subscriber.subscribe("fleet/#", qos: .atLeastOnce)
        return (subscriber, received)
    }

    private func member(_ n: Int, subscriptions: [String] = [], password: String? = nil) -> MQTTPublisherFleet.Member {
        let user = broker.users[0]
        return .init(
            clientID: "fleet-\(n)", username: user.username, password: password ?? user.password, topic: "fleet/\(n)",
            subscriptions: subscriptions)
    }

    func testEveryMemberPublishesItsMessagesInOrderEachAfterThePreviousPUBACK() async throws {
        let (subscriber, received) = try await subscribeToFleetTopics()

        let members = 40, messages = 25
        let fleet = MQTTPublisherFleet(host: broker.host, port: broker.port, members: (0..<members).map { member($0) }, threads: 3)
        try await fleet.connect()
        fleet.start(messages: messages) { member, sequence in Array("\(member):\(sequence)".utf8) }
        try await waitUntil("the subscriber has every message", timeout: .seconds(20)) { received.count >= members * messages }
        XCTAssertNil(fleet.failure)
        XCTAssertEqual(fleet.acknowledged, members * messages)
        var perMember: [String: [String]] = [:]
        for message in received.all { perMember[message.topic, default: []].append(String(decoding: message.payload, as: UTF8.self)) }
        XCTAssertEqual(perMember.count, members)
        for n in 0..<members {
            XCTAssertEqual(perMember["fleet/\(n)"], (0..<messages).map { "\(n):\($0)" }, "member \(n) in order")
        }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(received.count, members * messages, "no message twice")
        await fleet.stop()
        await subscriber.disconnect()
    }

    func testMembersAcknowledgeAndCountWhatTheirSubscriptionsReceive() async throws {
        let members = 10, messages = 5
        let topics = Recorder<String>()
        let fleet = MQTTPublisherFleet(
            host: broker.host, port: broker.port, members: (0..<members).map { member($0, subscriptions: ["back/\($0)/#"]) })
        try await fleet.connect()
        fleet.start(messages: 0) { _, _ in [] } onMessage: { topics.append(String(decoding: $0, as: UTF8.self)) }

        let loop = MQTTEventLoop(name: "fleet-test")
        defer { loop.shutdown() }
        let publisher = try MQTTClient(configuration: broker.clientConfiguration(id: "fleet-test-pub"), eventLoop: loop)
        try await publisher.connect()
        for n in 0..<members {
            for m in 0..<messages {
                try await publisher.publish(topic: "back/\(n)/\(m)", payload: [UInt8(m)], qos: .atLeastOnce)
            }
        }
        try await waitUntil("every member got its messages (one in flight at a time)") { fleet.received >= members * messages }
        XCTAssertNil(fleet.failure)
        XCTAssertEqual(Set(topics.all), Set((0..<members).flatMap { n in (0..<messages).map { "back/\(n)/\($0)" } }))
        await publisher.disconnect()
        await fleet.stop()
    }

    func testMessagesLargerThanTheSocketBuffersLeaveWhole() async throws {
        // A 6 MB publish does not fit the socket buffers: `send` takes part of it and the rest
        // waits for EPOLLOUT.
        await broker.stop()
        broker = try await TestBroker.start { config in config.maxPacketSize = 16_000_000 }
        let (subscriber, received) = try await subscribeToFleetTopics()
        let base = [UInt8]((0..<6_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let body: @Sendable (Int, Int) -> [UInt8] = { member, sequence in
            var payload = base
            payload[0] = UInt8(member)
            payload[payload.count - 1] = UInt8(sequence)
            return payload
        }
        let fleet = MQTTPublisherFleet(host: broker.host, port: broker.port, members: [member(0), member(1)])
        try await fleet.connect()
        fleet.start(messages: 2, payload: body)
        try await waitUntil("four 6 MB messages arrive", timeout: .seconds(60)) { received.count >= 4 }
        XCTAssertNil(fleet.failure)
        XCTAssertEqual(fleet.acknowledged, 4)
        for n in 0..<2 {
            let payloads = received.all.filter { $0.topic == "fleet/\(n)" }.map(\.payload)
            XCTAssertEqual(payloads.count, 2)
            for (sequence, payload) in payloads.enumerated() {
                XCTAssertTrue(payload == body(n, sequence), "member \(n) message \(sequence) arrived whole and in order")
            }
        }
        await fleet.stop()
        await subscriber.disconnect()
    }

    func testAWrongPasswordNamesTheMember() async throws {
        let fleet = MQTTPublisherFleet(
            host: broker.host, port: broker.port, members: [member(0), member(1, password: "wrong"), member(2)], threads: 1)
        do {
            try await fleet.connect()
            XCTFail("connected with a wrong password")
        } catch {
            XCTAssertEqual(error, .connectionRefused(broker: "\(broker.host):\(broker.port) as 'fleet-1'", reason: "not authorized (CONNACK 5)"))
        }
        await fleet.stop()
    }

    func testTheBrokerGoingAwayIsAFailureNamingAMember() async throws {
        let fleet = MQTTPublisherFleet(host: broker.host, port: broker.port, members: (0..<5).map { member($0) })
        try await fleet.connect()
        fleet.start(messages: 1_000_000) { _, sequence in Array("\(sequence)".utf8) }
        try await waitUntil("messages flow") { fleet.acknowledged > 100 }
        await broker.kill()
        try await waitUntil("the fleet reports the lost connection") { fleet.failure != nil }
        let failure = try XCTUnwrap(fleet.failure)
        XCTAssertTrue(failure.hasPrefix("'fleet-") && (failure.contains("closed the connection") || failure.contains("reset")), failure)
        await fleet.stop()
    }
}
