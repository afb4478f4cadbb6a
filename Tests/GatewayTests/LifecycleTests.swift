import Foundation
import GatewayTesting
import IoTCore
import MQTT
import XCTest

final class LifecycleTests: XCTestCase {
    /// Issue 3: after SIGTERM the gateway and its mosquitto are gone; a restart finds the data.
    func testSIGTERMStopsEverythingAndRestartKeepsData() async throws {
        let gw = try await TestGateway.start()
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let client = try await gw.connectDevice("pump-0005", eventLoop: loop)
        for i in 0..<50 {
            try await client.publish(
                topic: "devices/pump-0005/telemetry", payload: Array("{\"n\": \(i), \"ts\": \(1_700_000_000_000 + i)}".utf8),
                qos: .atLeastOnce)
        }
        await client.disconnect()
        XCTAssertFalse(brokerProcesses(using: gw.dataDirectory).isEmpty, "the embedded mosquitto runs")

        // SIGTERM right after publishing: what was acknowledged must still be committed.
        let status = try await gw.stop(signal: SIGTERM)
        XCTAssertEqual(status, 0, gw.logs())
        try await waitUntil("mosquitto exits with the gateway") { brokerProcesses(using: gw.dataDirectory).isEmpty }

        let again = try await TestGateway.start(dataDirectory: gw.dataDirectory)
        defer { Task { try? await again.stop() } }
        let r = try await again.requestJSON("GET", "/things/pump-0005/telemetry?field=n&limit=100")
        XCTAssertEqual(r.json["points"]?.arrayValue?.count, 50, again.logs())
        XCTAssertEqual(again.adminSecret, gw.adminSecret, "the admin key is created once")
    }

    /// The embedded mosquitto crashes: the supervisor starts it again, the gateway's link
    /// reconnects and resubscribes on its own, and telemetry flows into SQLite again.
    func testIngestRecoversWhenTheEmbeddedBrokerIsKilled() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        // The gateway has mosquitto save its session right after subscribing (not at the next
        // autosave), so the restarted broker queues what devices publish before the gateway is back.
        let database = gw.dataDirectory + "/broker/data/mosquitto.db"
        try await waitUntil("mosquitto saved the gateway's session") { FileManager.default.fileExists(atPath: database) }
        let first = brokerProcesses(using: gw.dataDirectory)
        XCTAssertEqual(first.count, 1, "one embedded mosquitto")
        kill(first[0], SIGKILL)
        try await waitUntil("the supervisor starts mosquitto again", timeout: .seconds(30)) {
            let now = brokerProcesses(using: gw.dataDirectory)
            return now.count == 1 && now[0] != first[0]
        }
        var device: MQTTClient?
        let deadline = ContinuousClock.now + .seconds(30)
        while device == nil {
            do { device = try await gw.connectDevice("pump-0006", eventLoop: loop) } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        for i in 0..<20 {
            try await device!.publish(
                topic: "devices/pump-0006/telemetry", payload: Array("{\"n\": \(i), \"ts\": \(1_700_000_000_000 + i)}".utf8),
                qos: .atLeastOnce)
        }
        await device!.disconnect()
        var stored = 0
        while stored < 20 && ContinuousClock.now < deadline + .seconds(30) {
            let r = try await gw.requestJSON("GET", "/things/pump-0006/telemetry?field=n&limit=100")
            stored = r.json["points"]?.arrayValue?.count ?? 0
            if stored < 20 { try await Task.sleep(for: .milliseconds(200)) }
        }
        XCTAssertEqual(stored, 20, gw.logs())
        let health = try await gw.requestJSON("GET", "/health")
        XCTAssertEqual(health.json["broker"]?["connected"], true)
    }

    /// The gateway reaches its broker through a Unix socket in `DATA/broker`; where that path
    /// would not fit a socket address it uses the loopback TLS-PSK port instead.
    func testADataDirectoryTooLongForASocketPathUsesTheLoopbackPort() async throws {
        let data = try makeTemporaryDirectory(prefix: "iotgw-long") + "/" + String(repeating: "d", count: 100)
        let gw = try await TestGateway.start(dataDirectory: data)
        defer { Task { try? await gw.stop() } }
        let config = try String(contentsOfFile: data + "/broker/mosquitto.conf", encoding: .utf8).split(separator: "\n").map(String.init)
        let pskLine = try XCTUnwrap(config.firstIndex(of: "psk_hint iotgw"))
        XCTAssertTrue(config[pskLine - 1].hasPrefix("listener ") && config[pskLine - 1].hasSuffix(" 127.0.0.1"), config[pskLine - 1])
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/broker/link.sock"))

        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0001", eventLoop: loop)
        try await device.publish(
            topic: "devices/pump-0001/telemetry", payload: Array(#"{"n": 7, "ts": 1700000000000}"#.utf8), qos: .atLeastOnce)
        await device.disconnect()
        var stored = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while stored == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            stored = try await gw.requestJSON("GET", "/things/pump-0001/telemetry?field=n").json["points"]?.arrayValue?.count ?? 0
        }
        XCTAssertEqual(stored, 1, gw.logs())
        let log = try String(contentsOfFile: data + "/broker/mosquitto.log", encoding: .utf8)
        let connected = try XCTUnwrap(log.split(separator: "\n").first { $0.contains(" as iotgw-ingest (") }, gw.logs())
        XCTAssertTrue(connected.contains("connected from 127.0.0.1:"), String(connected))
    }

    func testSIGINTAlsoStopsTheBroker() async throws {
        let gw = try await TestGateway.start()
        let status = try await gw.stop(signal: SIGINT)
        XCTAssertEqual(status, 0, gw.logs())
        try await waitUntil("mosquitto exits with the gateway") { brokerProcesses(using: gw.dataDirectory).isEmpty }
    }

    func testHTTPPortInUseIsOneClearLine() async throws {
        let blocker = try ListeningSocket()
        let data = try makeTemporaryDirectory(prefix: "iotgw-port")
        let r = try runIoTGWResult(["serve", "--mqtt-port", "0", "--http-port", "\(blocker.port)", "--data", data,
                                     "--devices", data + "/none", "--rules", data + "/none"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("already in use"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        try await waitUntil("no broker left behind") { brokerProcesses(using: data).isEmpty }
    }

    func testBadDevicesFileStopsServeWithFileAndLine() async throws {
        let dir = try makeTemporaryDirectory(prefix: "iotgw-baddev")
        try FileManager.default.createDirectory(atPath: dir + "/devices", withIntermediateDirectories: true)
        try """
        deviceTypes:
          - name: pump
            telemetry:
              temperature: { generator: gausian, mean: 60 }
        """.write(toFile: dir + "/devices/bad.yaml", atomically: true, encoding: .utf8)
        let r = try runIoTGWResult(["serve", "--mqtt-port", "0", "--http-port", "0", "--data", dir + "/data",
                                     "--devices", dir + "/devices", "--rules", dir + "/rules"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.yaml:4"), r.stderr)
        XCTAssertTrue(r.stderr.contains("gausian"), r.stderr)
    }
}

/// Pids of mosquitto processes whose command line mentions `dataDirectory`.
func brokerProcesses(using dataDirectory: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { e -> Int32? in
        guard let pid = Int32(e),
            let cmd = FileManager.default.contents(atPath: "/proc/\(e)/cmdline")
        else { return nil }
        let text = String(decoding: cmd.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return text.contains("mosquitto") && text.contains(dataDirectory) ? pid : nil
    }
}

func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { XCTFail("timed out waiting until \(what)"); return }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// A TCP socket listening on a free loopback port, to make a port busy.
final class ListeningSocket {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp in
                bind(fd, sp, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, sp, &len) == 0
            }
        }
        guard ok else { throw TestGateway.Failure(description: "cannot bind a test socket") }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}
