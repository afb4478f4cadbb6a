import Broker
import Foundation
import MQTT
import XCTest

final class MQTTLinkTests: XCTestCase {
    var broker: TestBroker!
    var loop: MQTTEventLoop!
    private var links: [MQTTLink] = []

    override func setUp() async throws {
        broker = try await TestBroker.start()
        loop = MQTTEventLoop(name: "link-test-loop")
    }

    override func tearDown() async throws {
        for link in links { await link.disconnect() }
        links = []
        loop.shutdown()
        await broker.stop()
    }

    private func makeLink(_ id: String, configure: (inout MQTTLink.Configuration) -> Void = { _ in }) -> MQTTLink {
        var configuration = broker.linkConfiguration(id: id)
        configure(&configuration)
        let link = MQTTLink(configuration: configuration)
        links.append(link)
        return link
    }

    private func connectedClient(_ id: String) async throws -> MQTTClient {
        let client = try MQTTClient(configuration: broker.clientConfiguration(id: id), eventLoop: loop)
        try await client.connect()
        return client
    }

    // MARK: Receiving

    func testReceivesEveryQoSWithTopicsAndPayloadBytesIntact() async throws {
        let link = makeLink("link-rx")
        let received = Recorder<MQTTMessage>()
        link.onMessage { received.append($0) }
        try await link.connect()
        try await link.subscribe("rx/#", qos: .exactlyOnce)

        let large = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let larger = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let sent: [(topic: String, payload: [UInt8], qos: MQTTQoS)] = [
            ("rx/empty/q1", [], .atLeastOnce),
            ("rx/empty/q0", [], .atMostOnce),
            ("rx/one", [0x42], .atMostOnce),
            ("rx/large", large, .atLeastOnce),
            ("rx/larger-than-read-buffer", larger, .atMostOnce),
            ("rx/temperatur/größe/温度/🌡️", Array("{\"t\":21.5}".utf8), .atLeastOnce),
            ("rx/exactly-once", [0, 255, 0], .exactlyOnce),
            ("rx/last", Array("end".utf8), .atLeastOnce),
        ]
        let publisher = try await connectedClient("rx-pub")
        for message in sent {
            try await publisher.publish(topic: message.topic, payload: message.payload, qos: message.qos)
        }
        try await waitUntil("every message arrives") { received.count >= sent.count }

        XCTAssertEqual(received.all.map(\.topic), sent.map(\.topic))
        for (got, expected) in zip(received.all, sent) {
            XCTAssertEqual(got.payload, expected.payload, "payload of \(expected.topic)")
            XCTAssertEqual(got.qos, expected.qos, "QoS of \(expected.topic)")
        }
        XCTAssertEqual(link.stats.messagesIn, sent.count)
        await publisher.disconnect()
    }

    func testPubackLeavesOnlyAfterTheHandlerReturned() async throws {
        // The broker's log is a file mosquitto flushes per line.
        let verbose = try await TestBroker.start { config in config.logTypes = ["all"] }
        let debugLog = verbose.config.logPath
        let link = MQTTLink(configuration: verbose.linkConfiguration(id: "link-ack"))
        let entered = Recorder<Bool>()
        let gate = DispatchSemaphore(value: 0)
        addTeardownBlock {
            gate.signal()
            await link.disconnect()
            await verbose.stop()
        }
        link.onMessage { _ in
            entered.append(true)
            gate.wait()
        }
        try await link.connect()
        try await link.subscribe("ack/t", qos: .atLeastOnce)
        let publisher = try MQTTClient(configuration: verbose.clientConfiguration(id: "ack-pub"), eventLoop: loop)
        try await publisher.connect()
        try await publisher.publish(topic: "ack/t", payload: "m", qos: .atLeastOnce)

        let acknowledged: @Sendable () -> Bool = {
            ((try? String(contentsOfFile: debugLog, encoding: .utf8)) ?? "").contains("Received PUBACK from link-ack")
        }
        do {
            defer { gate.signal() }
            try await waitUntil("the handler runs") { entered.count == 1 }
            // A PUBACK written before the handler (as libmosquitto does) would be logged within this time.
            try await Task.sleep(for: .milliseconds(300))
            XCTAssertFalse(acknowledged(), "the PUBACK left while the handler was still running")
        }
        try await waitUntil("the PUBACK follows the handler's return") { acknowledged() }
        await publisher.disconnect()
    }

    func testUnsubscribeStopsDelivery() async throws {
        let link = makeLink("link-unsub")
        let topics = Recorder<String>()
        link.onMessage { topics.append($0.topic) }
        try await link.connect()
        try await link.subscribe("gone/#", qos: .atLeastOnce)
        try await link.subscribe("marker", qos: .atLeastOnce)
        try await link.unsubscribe("gone/#")

        let publisher = try await connectedClient("unsub-pub")
        try await publisher.publish(topic: "gone/x", payload: "late", qos: .atLeastOnce)
        try await publisher.publish(topic: "marker", payload: "m", qos: .atLeastOnce)
        try await waitUntil("the marker arrives") { topics.count >= 1 }
        // One publisher's messages are routed in order: 'gone/x' would have arrived first.
        XCTAssertEqual(topics.all, ["marker"])
        await publisher.disconnect()
    }

    func testWrongPasswordFailsConnectWithTheConnackReason() async throws {
        let link = makeLink("link-bad") { $0.password = "wrong" }
        do {
            try await link.connect()
            XCTFail("connect with a wrong password must throw")
        } catch let error as MQTTError {
            guard case .connectionRefused(let brokerAddress, _) = error else { return XCTFail("unexpected error: \(error)") }
            XCTAssertEqual(brokerAddress, "127.0.0.1:\(broker.port)")
            XCTAssertTrue(error.description.contains("bad username or password"), error.description)
        }
        XCTAssertFalse(link.isConnected)
    }

    func testUnreachableBrokerFailsFast() async throws {
        let port = try FreePort.pick()
        let link = makeLink("link-nobody") { $0.port = port }
        let started = ContinuousClock.now
        do {
            try await link.connect()
            XCTFail("connect to a closed port must throw")
        } catch let error as MQTTError {
            XCTAssertEqual(error.description, "Could not connect to 127.0.0.1:\(port): Connection refused.")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        do {
            try await link.connect()
            XCTFail("a second attempt must fail the same way")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .connectFailed(broker: "127.0.0.1:\(port)", reason: "Connection refused"))
        }
    }

    // MARK: Publishing

    func testConcurrentPublishersAreDeliveredCompletelyAndFlushWaitsForAcks() async throws {
        let threads = 4
        let perThread = 25_000
        let subscriber = try await connectedClient("load-sub")
        let received = Recorder<String>()
        subscriber.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await subscriber.subscribe("load/#", qos: .atLeastOnce)

        let link = makeLink("link-load")
        try await link.connect()
        let failures = Recorder<String>()
        await runOnThreads(threads) { thread in
            for index in 0..<perThread {
                // Even indexes at QoS 1, odd ones at QoS 0.
                let qos: MQTTQoS = index % 2 == 0 ? .atLeastOnce : .atMostOnce
                do {
                    try link.publishNoWait(topic: "load/\(thread)", payload: Array("\(thread):\(index)".utf8), qos: qos)
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        XCTAssertEqual(failures.all, [])
        try await flushed(link)
        XCTAssertEqual(link.stats.acknowledged, threads * perThread / 2, "flush returned before every PUBACK")
        XCTAssertEqual(link.stats.droppedQoS0, 0)

        try await waitUntil("every message reaches the subscriber", timeout: .seconds(20)) { received.count >= threads * perThread }
        // MQTT orders messages per publisher and QoS: check each thread's QoS 0 and QoS 1 streams.
        var next = (0..<threads * 2).map { $0 % 2 }
        for payload in received.all {
            let parts = payload.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { return XCTFail("unexpected payload \(payload)") }
            let stream = parts[0] * 2 + parts[1] % 2
            XCTAssertEqual(parts[1], next[stream], "thread \(parts[0]): out of order, duplicated or missing")
            next[stream] = parts[1] + 2
        }
        XCTAssertEqual(next, (0..<threads * 2).map { $0 % 2 == 0 ? perThread : perThread + 1 })
        XCTAssertLessThan(link.stats.writes, threads * perThread / 4, "publishes were not written in batches")
        await subscriber.disconnect()
    }

    func testQoS1BeyondMaxInflightIsQueuedAndSentInOrder() async throws {
        let subscriber = try await connectedClient("queue-sub")
        let received = Recorder<String>()
        subscriber.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await subscriber.subscribe("queue/t", qos: .atLeastOnce)
        let link = makeLink("link-queue") { $0.maxInflight = 5 }
        try await link.connect()
        for index in 0..<2_000 {
            try link.publishNoWait(topic: "queue/t", payload: Array("\(index)".utf8), qos: .atLeastOnce)
        }
        try await flushed(link)
        XCTAssertEqual(link.stats.acknowledged, 2_000)
        try await waitUntil("the subscriber has all 2,000") { received.count >= 2_000 }
        XCTAssertEqual(received.all, (0..<2_000).map { "\($0)" })
        await subscriber.disconnect()
    }

    func testHandlerCanPublishOnTheLinkThread() async throws {
        let link = makeLink("link-echo")
        link.onMessage { [weak link] message in
            try? link?.publishNoWait(topic: "echo/out", payload: message.payload, qos: .atLeastOnce)
        }
        try await link.connect()
        try await link.subscribe("echo/in", qos: .atLeastOnce)
        let client = try await connectedClient("echo-client")
        let echoed = Recorder<String>()
        client.onMessage { echoed.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await client.subscribe("echo/out", qos: .atLeastOnce)
        let wakeUpsBefore = link.stats.wakeUps
        for index in 0..<100 {
            try await client.publish(topic: "echo/in", payload: "\(index)", qos: .atLeastOnce)
        }
        try await waitUntil("100 echoes arrive") { echoed.count >= 100 }
        XCTAssertEqual(echoed.all, (0..<100).map { "\($0)" })
        XCTAssertEqual(link.stats.wakeUps, wakeUpsBefore, "publishes from the link thread must not write the eventfd")
        await client.disconnect()
    }

    func testPublishersWaitWhileTheOutgoingBufferIsFull() async throws {
        let link = makeLink("link-pressure")
        try await link.connect()
        let pid = try XCTUnwrap(broker.pid)
        // A stopped broker reads nothing: the socket fills, then the link's outgoing buffer.
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let payload = [UInt8](repeating: 7, count: 512 * 1024)
        let published = Recorder<Int>()
        let publisher = Task.detached {
            await runOnThreads(1) { _ in
                for index in 0..<200 {
                    try? link.publishNoWait(topic: "pressure", payload: payload, qos: .atMostOnce)
                    published.append(index)
                }
            }
        }
        try await waitUntil("64 MiB are queued") { published.count >= 128 }
        try await Task.sleep(for: .milliseconds(500))
        XCTAssertLessThan(published.count, 200, "100 MiB were accepted while nothing could be written")
        kill(pid, SIGCONT)
        await publisher.value
        XCTAssertEqual(published.count, 200)
        try await waitUntil("everything is written") { link.stats.bytesOut > 200 * payload.count }
        XCTAssertTrue(link.isConnected)
        XCTAssertEqual(link.stats.droppedQoS0, 0)
    }

    // MARK: Batching

    func testFiftyThousandQoS1MessagesArriveInOrderWithFewReads() async throws {
        // Like the gateway committing a batch to SQLite: while it runs, packets pile up in the socket.
        try await checkBatching(makeLink("link-batch"), onBatchEnd: { usleep(1_000) })
    }

    func testCoalescingDelayBatchesAFastConsumer() async throws {
        // A consumer that returns at once would otherwise read a few packets per wake-up.
        try await checkBatching(makeLink("link-coalesce") { $0.coalescingDelay = .milliseconds(2) }, onBatchEnd: {})
    }

    /// 5 publishers × 10,000 QoS 1 messages arrive complete and in order per publisher, read and
    /// handed over in chunks of many packets.
    private func checkBatching(_ link: MQTTLink, onBatchEnd: @escaping @Sendable () -> Void) async throws {
        let publishers = 5
        let perPublisher = 10_000
        let received = Recorder<(publisher: Int, index: Int)>()
        let batches = Recorder<Int>()
        link.onMessage { message in
            let parts = String(decoding: message.payload, as: UTF8.self).split(separator: ":").compactMap { Int($0) }
            received.append((parts[0], parts[1]))
        }
        link.onBatchEnd {
            onBatchEnd()
            batches.append(received.count)
        }
        try await link.connect()
        try await link.subscribe("batch/#", qos: .atLeastOnce)

        var clients: [MQTTClient] = []
        for index in 0..<publishers { clients.append(try await connectedClient("batch-pub-\(index)")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (publisher, client) in clients.enumerated() {
                group.addTask {
                    for index in 0..<perPublisher {
                        try client.publishNoWait(topic: "batch/\(publisher)", payload: Array("\(publisher):\(index)".utf8), qos: .atLeastOnce)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await waitUntil("all 50,000 messages arrive", timeout: .seconds(20)) { received.count >= publishers * perPublisher }
        try await waitUntil("onBatchEnd runs after the last message") { batches.all.last == received.count }

        XCTAssertEqual(received.count, publishers * perPublisher)
        var next = [Int](repeating: 0, count: publishers)
        for (publisher, index) in received.all {
            XCTAssertEqual(index, next[publisher], "publisher \(publisher): out of order, duplicated or missing")
            next[publisher] = index + 1
        }
        let stats = link.stats
        XCTAssertLessThan(stats.reads, stats.packetsIn / 4, "\(stats.reads) reads for \(stats.packetsIn) packets: no batching")
        XCTAssertLessThan(batches.count, publishers * perPublisher / 4, "onBatchEnd ran per message, not per chunk")
        for client in clients { await client.disconnect() }
    }

    // MARK: MQTT 5

    func testMQTT5NoLocalKeepsTheLinksOwnPublishesAndSkipsProperties() async throws {
        let link = makeLink("link-v5") { $0.protocolVersion = .v5 }
        let received = Recorder<String>()
        link.onMessage { received.append("\($0.topic)=\(String(decoding: $0.payload, as: UTF8.self)) q\($0.qos.rawValue)") }
        try await link.connect()
        try await link.subscribe("nl/#", qos: .atLeastOnce, noLocal: true)
        try await link.subscribe("echo5/#", qos: .atLeastOnce)

        // The link's own publishes: not back through the No Local filter, back through the other.
        try link.publishNoWait(topic: "nl/own", payload: Array("own-1".utf8), qos: .atLeastOnce)
        try link.publishNoWait(topic: "nl/own", payload: Array("own-0".utf8), qos: .atMostOnce)
        try link.publishNoWait(topic: "echo5/own", payload: Array("echoed".utf8), qos: .atLeastOnce)
        try await flushed(link)
        // Another client's, with MQTT 5 properties that the link must skip to find the payload.
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        publisher.arguments = [
            "-V", "mqttv5", "-h", broker.host, "-p", "\(broker.port)", "-u", broker.users[0].username, "-P", broker.users[0].password,
            "-q", "1", "-t", "nl/other", "-m", "other", "-D", "publish", "user-property", "key", "value",
            "-D", "publish", "message-expiry-interval", "60", "-D", "publish", "content-type", "text/plain",
        ]
        try publisher.run()
        publisher.waitUntilExit()
        XCTAssertEqual(publisher.terminationStatus, 0)
        try await waitUntil("the other client's message arrives") { received.count >= 2 }
        // Anything echoed by mistake would have arrived before the later message from the other client.
        XCTAssertEqual(received.all, ["echo5/own=echoed q1", "nl/other=other q1"])
        XCTAssertEqual(link.stats.acknowledged, 2)
    }

    func testNoLocalNeedsMQTT5() async throws {
        let link = makeLink("link-v311-no-local")
        try await link.connect()
        do {
            try await link.subscribe("a/#", qos: .atLeastOnce, noLocal: true)
            XCTFail("No Local over MQTT 3.1.1 must be refused")
        } catch let error as MQTTError {
            guard case .invalidConfiguration(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "protocolVersion")
        }
    }

    // MARK: Sessions and reconnects

    func testPersistentSessionDeliversMessagesPublishedWhileAway() async throws {
        try await checkPersistentSession(.v311)
    }

    func testMQTT5PersistentSessionOutlivesTheConnection() async throws {
        // MQTT 5 ends a session with its connection unless CONNECT sets a Session Expiry Interval.
        try await checkPersistentSession(.v5)
    }

    private func checkPersistentSession(_ version: MQTTLink.Configuration.ProtocolVersion) async throws {
        let first = makeLink("link-persist") {
            $0.cleanSession = false
            $0.protocolVersion = version
        }
        try await first.connect()
        try await first.subscribe("away/#", qos: .atLeastOnce)
        await first.disconnect()

        let publisher = try await connectedClient("away-pub")
        for index in 0..<5 {
            try await publisher.publish(topic: "away/\(index)", payload: "m\(index)", qos: .atLeastOnce)
        }

        let second = makeLink("link-persist") {
            $0.cleanSession = false
            $0.protocolVersion = version
        }
        let events = Recorder<MQTTConnectionEvent>()
        let received = Recorder<String>()
        second.onConnectionEvent { events.append($0) }
        second.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await second.connect()
        try await waitUntil("the 5 queued messages arrive") { received.count >= 5 }
        XCTAssertEqual(received.all, ["m0", "m1", "m2", "m3", "m4"])
        XCTAssertEqual(events.all.first, .connected(sessionPresent: true))
        await publisher.disconnect()
    }

    func testReconnectsAfterBrokerRestartResubscribesAndResendsQoS1() async throws {
        let link = makeLink("link-restart")
        let events = Recorder<MQTTConnectionEvent>()
        let received = Recorder<String>()
        link.onConnectionEvent { events.append($0) }
        link.onMessage { received.append(String(decoding: $0.payload, as: UTF8.self)) }
        try await link.connect()
        try await link.subscribe("restart/#", qos: .atLeastOnce)

        await broker.kill()
        try await waitUntil("the link notices the broker is gone") { !link.isConnected }
        for index in 0..<3 {
            try link.publishNoWait(topic: "restart/own", payload: Array("down-\(index)".utf8), qos: .atLeastOnce)
        }
        try link.publishNoWait(topic: "restart/own", payload: Array("dropped".utf8), qos: .atMostOnce)
        XCTAssertEqual(link.stats.droppedQoS0, 1)

        try await broker.restart()
        try await waitUntil("the link reconnects") { link.isConnected && link.reconnectCount == 1 }
        // Sent after the re-SUBSCRIBE on the same connection, so they come back to the link itself.
        try await waitUntil("the QoS 1 messages published while down arrive") { received.count >= 3 }
        XCTAssertEqual(received.all, ["down-0", "down-1", "down-2"])
        try await flushed(link)

        let publisher = try await connectedClient("restart-pub")
        try await publisher.publish(topic: "restart/after", payload: "after", qos: .atLeastOnce)
        try await waitUntil("a message published after the restart arrives") { received.count >= 4 }
        XCTAssertEqual(received.all.last, "after")

        let log = events.all
        XCTAssertEqual(log.first, .connected(sessionPresent: false))
        XCTAssertEqual(log.last, .connected(sessionPresent: false))
        // In between: pairs of (disconnected, reconnecting) with attempts counting up from 1.
        let middle = Array(log.dropFirst().dropLast())
        XCTAssertEqual(middle.count % 2, 0, "\(log)")
        XCTAssertGreaterThanOrEqual(middle.count, 2, "\(log)")
        for pair in 0..<middle.count / 2 {
            guard case .disconnected = middle[2 * pair] else { return XCTFail("expected disconnected: \(log)") }
            guard case .reconnecting(let attempt, _) = middle[2 * pair + 1] else { return XCTFail("expected reconnecting: \(log)") }
            XCTAssertEqual(attempt, pair + 1)
        }
        await publisher.disconnect()
    }

    func testDisconnectWhileReconnectingStopsAndAnswersWaiters() async throws {
        let link = makeLink("link-give-up")
        let events = Recorder<MQTTConnectionEvent>()
        link.onConnectionEvent { events.append($0) }
        try await link.connect()
        await broker.kill()
        try await waitUntil("the link notices the broker is gone") { !link.isConnected }
        try link.publishNoWait(topic: "never/acked", payload: [1], qos: .atLeastOnce)
        let flushReturned = Recorder<Bool>()
        Task {
            await link.flush()
            flushReturned.append(true)
        }
        await link.disconnect()
        try await waitUntil("flush() returns once the link is closed") { flushReturned.count == 1 }
        XCTAssertEqual(events.all.last, .closed)
        XCTAssertFalse(link.isConnected)
        XCTAssertEqual(link.reconnectCount, 0)
    }

    func testKeepAliveKeepsAnIdleConnectionOpen() async throws {
        let link = makeLink("link-idle") { $0.keepAlive = 1 }
        let events = Recorder<MQTTConnectionEvent>()
        link.onConnectionEvent { events.append($0) }
        try await link.connect()
        let before = link.stats
        // Idle time is what this test is about: the broker drops a silent client after 1.5 s.
        try await Task.sleep(for: .seconds(4))
        let after = link.stats
        XCTAssertTrue(link.isConnected)
        XCTAssertEqual(link.reconnectCount, 0)
        XCTAssertEqual(events.all, [.connected(sessionPresent: false)])
        XCTAssertGreaterThanOrEqual(after.packetsOut - before.packetsOut, 3, "PINGREQs sent")
        XCTAssertGreaterThanOrEqual(after.packetsIn - before.packetsIn, 3, "PINGRESPs received")
    }

    func testOversizedIncomingPacketClosesTheConnectionWithAReason() async throws {
        let link = makeLink("link-small") { $0.maxPacketSize = 1_000 }
        let events = Recorder<MQTTConnectionEvent>()
        link.onConnectionEvent { events.append($0) }
        try await link.connect()
        try await link.subscribe("big/#", qos: .atMostOnce)
        let publisher = try await connectedClient("big-pub")
        try await publisher.publish(topic: "big/x", payload: [UInt8](repeating: 1, count: 2_000), qos: .atMostOnce)
        try await waitUntil("the link drops the connection") { events.count >= 2 }
        XCTAssertEqual(
            events.all[1],
            .disconnected(reason: "The broker at 127.0.0.1:\(broker.port) sent a packet of 2010 bytes, more than maxPacketSize (1000 bytes); the connection was closed.")
        )
        try await waitUntil("the link reconnects") { link.reconnectCount == 1 && link.isConnected }
        await publisher.disconnect()
    }

    // MARK: Errors

    func testInvalidTopicsAndUseAfterDisconnectThrow() async throws {
        let link = makeLink("link-errors")
        for topic in ["", "a/+", "a/#", "#", "a\u{0}b", String(repeating: "x", count: 65_536)] {
            XCTAssertThrowsError(try link.publishNoWait(topic: topic, payload: [1], qos: .atMostOnce)) { error in
                XCTAssertEqual(error as? MQTTError, .invalidTopic(topic))
            }
        }
        XCTAssertThrowsError(try link.publishNoWait(topic: "a/b", payload: [1], qos: .exactlyOnce)) { error in
            guard case .publishFailed = error as? MQTTError else { return XCTFail("unexpected error: \(error)") }
        }
        do {
            try await link.subscribe("a/#/b", qos: .atLeastOnce)
            XCTFail("a misplaced '#' must be rejected")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .invalidFilter("a/#/b"))
        }

        let events = Recorder<MQTTConnectionEvent>()
        link.onConnectionEvent { events.append($0) }
        try await link.connect()
        await link.disconnect()
        XCTAssertFalse(link.isConnected)
        XCTAssertEqual(events.all, [.connected(sessionPresent: false), .closed])
        XCTAssertThrowsError(try link.publishNoWait(topic: "a/b", payload: [1], qos: .atLeastOnce)) { error in
            XCTAssertEqual(error as? MQTTError, .closed(clientID: "link-errors"))
        }
        do {
            try await link.subscribe("a/b", qos: .atLeastOnce)
            XCTFail("subscribe after disconnect must throw")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .closed(clientID: "link-errors"))
        }
        do {
            try await link.connect()
            XCTFail("connect after disconnect must throw")
        } catch let error as MQTTError {
            XCTAssertEqual(error, .closed(clientID: "link-errors"))
        }
    }

    // MARK: Helpers

    /// Waits for `link.flush()`, failing the test instead of hanging if it does not return.
    private func flushed(_ link: MQTTLink, file: StaticString = #filePath, line: UInt = #line) async throws {
        let done = Recorder<Bool>()
        Task {
            await link.flush()
            done.append(true)
        }
        try await waitUntil("flush() returns", timeout: .seconds(15), file: file, line: line) { done.count == 1 }
    }
}

extension TestBroker {
    /// A link configuration for this broker's default user, with quick reconnects for tests.
    func linkConfiguration(id: String) -> MQTTLink.Configuration {
        var configuration = MQTTLink.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.clientID = id
        configuration.username = users[0].username
        configuration.password = users[0].password
        configuration.reconnectMinDelay = .milliseconds(100)
        configuration.reconnectMaxDelay = .milliseconds(500)
        configuration.connectTimeout = .seconds(5)
        return configuration
    }
}

/// Runs `body(index)` on `count` new threads at once and waits for all of them.
private func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        group.notify(queue: .global()) { continuation.resume() }
    }
}
