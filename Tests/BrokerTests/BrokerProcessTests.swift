import Broker
import Foundation
import XCTest

final class BrokerProcessTests: XCTestCase {
    private let pub = "/usr/bin/mosquitto_pub"
    private let sub = "/usr/bin/mosquitto_sub"

    func testHashedPasswordIsAcceptedAndWrongOneRefused() async throws {
        let broker = try await TestBroker.start(users: [("alice", "correct horse")])
        defer { Task { await broker.stop() } }
        let port = "\(broker.port)"
        let good = try await runCommand(pub, ["-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "correct horse", "-t", "t", "-m", "x", "-q", "1"])
        XCTAssertEqual(good.status, 0, good.output)
        let bad = try await runCommand(pub, ["-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "wrong", "-t", "t", "-m", "x", "-q", "1"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("not authorised"), bad.output)
    }

    func testDeviceMayOnlyUseItsOwnTopicsAndShadow() async throws {
        let users = [("gateway", "gw-pass"), ("dev1", "pw1"), ("dev2", "pw2")]
        let broker = try await TestBroker.start(users: users, acl: MosquittoACL(fullAccessUsers: ["gateway"]))
        defer { Task { await broker.stop() } }
        let port = "\(broker.port)"
        let gateway = ["-h", "127.0.0.1", "-p", port, "-u", "gateway", "-P", "gw-pass", "-i", "gw", "-c", "-q", "1", "-t", "devices/#", "-t", "$aws/#"]
        // A persistent session queues what is published while no subscriber process runs.
        let created = try await runCommand(sub, gateway + ["-E"])
        XCTAssertEqual(created.status, 0, created.output)
        let device = ["-h", "127.0.0.1", "-p", port, "-u", "dev1", "-P", "pw1", "-q", "1"]
        for (topic, message) in [
            ("devices/dev2/telemetry", "denied-telemetry"),
            ("$aws/things/dev2/shadow/update", "denied-shadow"),
            ("devices/dev1/telemetry", "own-telemetry"),
            ("$aws/things/dev1/shadow/update", "own-shadow"),
        ] {
            let sent = try await runCommand(pub, device + ["-t", topic, "-m", message])
            XCTAssertEqual(sent.status, 0, sent.output)
        }
        let received = try await runCommand(sub, gateway + ["-C", "2", "-W", "5", "-v"])
        XCTAssertEqual(received.output.split(separator: "\n"), [
            "devices/dev1/telemetry own-telemetry",
            "$aws/things/dev1/shadow/update own-shadow",
        ])
    }

    func testPortInUseIsOneClearError() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("busy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = MosquittoConfig(directory: directory, port: broker.port)
        try BrokerFiles.write(config: config, users: [("u", "p")], acl: MosquittoACL(fullAccessUsers: ["u"]))
        do {
            _ = try await MosquittoProcess.start(config: config)
            XCTFail("a second broker on the same port must fail")
        } catch let error as BrokerError {
            XCTAssertEqual(
                error.description,
                "The MQTT port \(broker.port) on 127.0.0.1 is already in use by another program; stop it or choose another port (0 picks a free one)."
            )
        }
    }

    func testSupervisorRestartsAKilledBrokerAndStopsIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = BrokerSupervisor.Configuration(
            mosquitto: MosquittoConfig(directory: directory, port: 0),
            users: [("gateway", "pw")], acl: MosquittoACL(fullAccessUsers: ["gateway"])
        )
        configuration.restartMinDelay = .milliseconds(50)
        let supervisor = BrokerSupervisor(configuration: configuration)
        let restarts = LockedCounter()
        supervisor.onRestart { _, _ in restarts.increment() }
        try await supervisor.start()
        XCTAssertNotEqual(supervisor.port, 0)
        let firstPID = try XCTUnwrap(supervisor.pid)

        kill(firstPID, SIGKILL)
        try await waitUntil("the broker is restarted") { supervisor.restartCount == 1 && supervisor.pid != nil }
        let secondPID = try XCTUnwrap(supervisor.pid)
        XCTAssertNotEqual(firstPID, secondPID)
        XCTAssertEqual(restarts.value, 1)
        let probe = try await runCommand(pub, ["-h", "127.0.0.1", "-p", "\(supervisor.port)", "-u", "gateway", "-P", "pw", "-t", "t", "-m", "x", "-q", "1"])
        XCTAssertEqual(probe.status, 0, probe.output)

        await supervisor.stop()
        XCTAssertFalse(isAlive(secondPID))
        XCTAssertEqual(supervisor.restartCount, 1)
    }
}

extension BrokerProcessTests {
    /// A PSK listener whose Unix socket cannot be created moves to a loopback port.
    func testSupervisorFallsBackToAPortWhenTheUnixSocketCannotBeCreated() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var mosquitto = MosquittoConfig(directory: directory, port: 0)
        mosquitto.pskListener = .init(socketPath: directory + "/no-such-folder/link.sock", identity: "iotgw", key: [1, 2, 3, 4])
        let supervisor = BrokerSupervisor(configuration: .init(
            mosquitto: mosquitto, users: [("gateway", "pw")], acl: MosquittoACL(fullAccessUsers: ["gateway"])))
        try await supervisor.start()
        defer { Task { await supervisor.stop() } }
        XCTAssertNil(supervisor.pskSocketPath)
        let port = try XCTUnwrap(supervisor.pskPort)
        XCTAssertNotEqual(port, 0)
        XCTAssertNotEqual(port, supervisor.port)
        let config = try String(contentsOfFile: directory + "/mosquitto.conf", encoding: .utf8)
        XCTAssertTrue(config.contains("listener \(port) 127.0.0.1\npsk_hint iotgw"), config)
        let probe = try await runCommand(
            pub, ["-h", "127.0.0.1", "-p", "\(port)", "--psk", "01020304", "--psk-identity", "iotgw", "-u", "gateway", "-P", "pw", "-t", "t", "-m", "x"])
        XCTAssertEqual(probe.status, 0, "TLS-PSK on the fallback port: \(probe.output)")
    }
}

final class LockedCounter: @unchecked Sendable {
    // `count` is only accessed while `lock` is held.
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
