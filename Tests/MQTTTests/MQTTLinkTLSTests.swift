import Broker
import Foundation
import MQTT
import XCTest

/// `MQTTLink` over TLS with a pre-shared key, against a real mosquitto with a `psk_hint` listener
/// (how the gateway reaches its embedded broker).
final class MQTTLinkTLSTests: XCTestCase {
    private static let identity = "iotgw"
    private static let key: [UInt8] = (0..<32).map { UInt8($0 &* 7 &+ 3) }

    var broker: TestBroker!
    var loop: MQTTEventLoop!
    private var links: [MQTTLink] = []

    override func setUp() async throws {
        broker = try await TestBroker.start { config in
            config.pskListener = .init(identity: MQTTLinkTLSTests.identity, key: MQTTLinkTLSTests.key)
        }
        loop = MQTTEventLoop(name: "link-tls-test-loop")
    }

    override func tearDown() async throws {
        for link in links { await link.disconnect() }
        links = []
        loop.shutdown()
        await broker.stop()
    }

    private func makeLink(_ id: String, key: [UInt8] = MQTTLinkTLSTests.key) throws -> MQTTLink {
        var configuration = broker.linkConfiguration(id: id)
        configuration.port = try XCTUnwrap(broker.config.pskListener?.port)
        configuration.tls = .preSharedKey(identity: Self.identity, key: key)
        let link = MQTTLink(configuration: configuration)
        links.append(link)
        return link
    }

    func testMessagesOfEverySizeCrossTheTLSLinkBothWaysInOrder() async throws {
        let link = try makeLink("tls-both-ways")
        let received = Recorder<MQTTMessage>()
        link.onMessage { received.append($0) }
        try await link.connect()
        try await link.subscribe("tls/#", qos: .atLeastOnce)

        // From a plain-TCP client to the TLS link: sizes around a TLS record (16 KiB) and beyond the
        // link's 256 KiB read buffer.
        let sizes = [0, 1, 100, 16_383, 16_384, 16_385, 70_000, 300_000, 700_000]
        let publisher = try MQTTClient(configuration: broker.clientConfiguration(id: "tls-plain-pub"), eventLoop: loop)
        try await publisher.connect()
        for (index, size) in sizes.enumerated() {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            try await publisher.publish(topic: "tls/in/\(index)", payload: payload, qos: .atLeastOnce)
        }
        try await waitUntil("the plain client's messages arrive over TLS") { received.count >= sizes.count }
        for (index, size) in sizes.enumerated() {
            let got = received.all[index]
            XCTAssertEqual(got.topic, "tls/in/\(index)")
            XCTAssertEqual(got.payload, (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }, "payload of \(size) bytes")
        }

        // From the link to a plain client: 30,000 QoS 1 publishes written in large batches (many
        // records per write, many packets per record).
        let echoes = Recorder<Int>()
        try await publisher.subscribe("tls-out/echo", qos: .atLeastOnce)
        publisher.onMessage { echoes.append(Int(String(decoding: $0.payload, as: UTF8.self)) ?? -1) }
        let count = 30_000
        for index in 0..<count {
            try link.publishNoWait(topic: "tls-out/echo", payload: Array(String(index).utf8), qos: .atLeastOnce)
        }
        try await waitUntil("the plain client gets them", timeout: .seconds(30)) { echoes.count >= count }
        XCTAssertEqual(echoes.all, Array(0..<count))
        try await waitUntil("the broker acknowledges them over TLS") { link.stats.acknowledged == count }
        let stats = link.stats
        // Publishes queued while the thread writes leave together (how many depends on timing).
        XCTAssertLessThan(stats.writes, count / 2, "publishes are written in batches: \(stats)")
        await publisher.disconnect()
    }

    func testTheLinkReachesAUnixSocketListenerWithAndWithoutTLS() async throws {
        // The embedded broker's PSK listener is a Unix socket (see `BrokerEndpoint`).
        let socketPath = broker.config.directory + "/link.sock"
        let plainPath = broker.config.directory + "/plain.sock"
        let unixBroker = try await TestBroker.start { config in
            config.pskListener = .init(socketPath: socketPath, identity: MQTTLinkTLSTests.identity, key: MQTTLinkTLSTests.key)
            config.extraLines = ["listener 0 \(plainPath)"]
        }
        defer { Task { await unixBroker.stop() } }
        let publisher = try MQTTClient(configuration: unixBroker.clientConfiguration(id: "unix-plain-pub"), eventLoop: loop)
        try await publisher.connect()
        defer { Task { await publisher.disconnect() } }
        for (path, tls) in [(socketPath, true), (plainPath, false)] {
            var configuration = unixBroker.linkConfiguration(id: "unix-link-\(tls)")
            configuration.host = path
            configuration.port = 0
            configuration.tls = tls ? .preSharedKey(identity: Self.identity, key: Self.key) : nil
            let link = MQTTLink(configuration: configuration)
            links.append(link)
            let received = Recorder<MQTTMessage>()
            link.onMessage { received.append($0) }
            try await link.connect()
            try await link.subscribe("unix/#", qos: .atLeastOnce)
            let sizes = [0, 100, 16_385, 300_000]
            for (index, size) in sizes.enumerated() {
                try await publisher.publish(topic: "unix/\(index)", payload: [UInt8](repeating: UInt8(index), count: size), qos: .atLeastOnce)
            }
            try await waitUntil("messages arrive over \(path)") { received.count >= sizes.count }
            XCTAssertEqual(received.all.map(\.payload.count), sizes, "over \(path)")
            try link.publishNoWait(topic: "unix/back", payload: Array("from \(path)".utf8), qos: .atLeastOnce)
            try await waitUntil("the broker acknowledges the link's publish over \(path)") { link.stats.acknowledged == 1 }
            await link.disconnect()
        }
        let log = try String(contentsOfFile: unixBroker.config.logPath, encoding: .utf8)
        XCTAssertTrue(log.contains("connected from \(socketPath):0 as unix-link-true"), "TLS link came through the socket: \(log.suffix(2000))")
        XCTAssertTrue(log.contains("connected from \(plainPath):0 as unix-link-false"), "plain link came through the socket")
    }

    func testASocketPathLongerThanSunPathIsRefusedBeforeConnecting() async throws {
        var configuration = broker.linkConfiguration(id: "long-path")
        configuration.host = "/" + String(repeating: "d", count: 120) + "/link.sock"
        let link = MQTTLink(configuration: configuration)
        do {
            try await link.connect()
            XCTFail("connected to an impossible socket path")
        } catch let error as MQTTError {
            XCTAssertTrue("\(error)".contains("host") && "\(error)".contains("longer than 107 bytes"), "\(error)")
        }
    }

    func testAWrongKeyFailsConnectNamingTLS() async throws {
        let link = try makeLink("tls-wrong-key", key: Array(repeating: 1, count: 32))
        do {
            try await link.connect()
            XCTFail("connect with a wrong pre-shared key must fail")
        } catch let error as MQTTError {
            guard case .connectFailed(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("TLS") || reason.contains("closed the connection"), reason)
        }
    }

    func testInvalidKeysAreRefusedBeforeConnecting() async throws {
        for key in [[], [UInt8](repeating: 1, count: 65)] {
            let link = try makeLink("tls-bad-config", key: key)
            do {
                try await link.connect()
                XCTFail("a key of \(key.count) bytes must be refused")
            } catch let error as MQTTError {
                guard case .invalidConfiguration(let field, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(field, "tls.key")
            }
        }
    }

    func testTheTLSLinkReconnectsAfterTheBrokerRestarts() async throws {
        let link = try makeLink("tls-restart")
        let received = Recorder<String>()
        link.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await link.connect()
        try await link.subscribe("tls-restart/#", qos: .atLeastOnce)
        await broker.kill()
        try await waitUntil("the link notices the broker is gone") { !link.isConnected }
        try link.publishNoWait(topic: "tls-restart/own", payload: Array("while-down".utf8), qos: .atLeastOnce)
        try await broker.restart()
        try await waitUntil("the link reconnects over TLS and resends") { link.isConnected && received.all == ["while-down"] }
    }
}
