import Devices
import Foundation
import IoTCore
import MQTT

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `iotgw serve` process on free ports with its own data directory and embedded
/// mosquitto, for end-to-end tests. Stop it with `stop()`; `deinit` kills it as a last resort.
public final class TestGateway: @unchecked Sendable {
    // Immutable after `start` returns, except `process` which only `stop` touches.
    public let dataDirectory: String
    public let devicesDirectory: String
    /// The rules folder the gateway watches (`serve --rules`).
    public let rulesDirectory: String
    public let mqttPort: Int
    public let httpPort: Int
    public let adminSecret: String
    let process: Process
    let logDirectory: String

    /// Why the gateway under test could not be started or used.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The `iotgw` binary: `IOTGW_BINARY`, else next to the running test bundle.
    public static func binaryPath() -> String {
        if let p = ProcessInfo.processInfo.environment["IOTGW_BINARY"] { return p }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is `<build>/debug/<pkg>PackageTests.xctest`; on macOS it
        // is inside a bundle a few levels deeper.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("iotgw").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "iotgw"
    }

    /// Starts `iotgw serve --mqtt-port 0 --http-port 0` and waits until `/health` is 200.
    /// `devicesYAML` is written as the only devices file (default: a fleet of 10 pumps,
    /// pump-0000 … pump-0009); `dataDirectory` may be reused to test restarts. `ruleFiles`
    /// (file name → YAML) are written to the watched rules folder before the start.
    public static func start(
        devicesYAML: String = TestGateway.defaultDevicesYAML, dataDirectory: String? = nil,
        ruleFiles: [String: String] = [:], extraArguments: [String] = [], timeout: Duration = .seconds(60)
    ) async throws -> TestGateway {
        let root = try makeTemporaryDirectory(prefix: "iotgw-test")
        let data = dataDirectory ?? (root as NSString).appendingPathComponent("data")
        let devices = (root as NSString).appendingPathComponent("devices")
        let rules = (root as NSString).appendingPathComponent("rules")
        for d in [devices, rules] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try devicesYAML.write(toFile: (devices as NSString).appendingPathComponent("fleet.yaml"), atomically: true, encoding: .utf8)
        for (name, yaml) in ruleFiles {
            try yaml.write(toFile: (rules as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let stdoutPath = (root as NSString).appendingPathComponent("stdout.log")
        let stderrPath = (root as NSString).appendingPathComponent("stderr.log")
        for path in [stdoutPath, stderrPath] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw Failure(description: "cannot create \(path)")
        }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: binaryPath())
        p.arguments =
            [
                "serve", "--mqtt-port", "0", "--http-port", "0", "--data", data, "--devices", devices, "--rules", rules,
            ] + extraArguments
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try p.run()

        let deadline = ContinuousClock.now + timeout
        var mqttPort: Int?
        var httpPort: Int?
        while mqttPort == nil || httpPort == nil {
            let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            for line in out.split(separator: "\n") {
                if line.hasPrefix("MQTT broker listening on "), let port = line.split(separator: ":").last?.split(separator: " ").first {
                    mqttPort = Int(port)
                }
                if line.hasPrefix("HTTP API listening on "), let port = line.split(separator: ":").last {
                    httpPort = Int(port)
                }
            }
            if mqttPort != nil && httpPort != nil { break }
            if !p.isRunning || ContinuousClock.now > deadline {
                if p.isRunning { p.terminate() }
                let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                throw Failure(
                    description: "iotgw did not start (exit \(p.isRunning ? -1 : p.terminationStatus)); stdout:\n\(out)\nstderr:\n\(err.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let admin = try JSONValue.parse(
            Array(try Data(contentsOf: URL(fileURLWithPath: (data as NSString).appendingPathComponent("admin.key")))))
        let gateway = TestGateway(
            dataDirectory: data, devicesDirectory: devices, rulesDirectory: rules, mqttPort: mqttPort!, httpPort: httpPort!,
            adminSecret: admin["secret"]?.stringValue ?? "", process: p, logDirectory: root)
        while true {
            if let r = try? await gateway.request("GET", "/health", authenticated: false), r.status == 200 { break }
            if !p.isRunning || ContinuousClock.now > deadline {
                throw Failure(description: "iotgw never became healthy: \(gateway.logs())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return gateway
    }

    init(
        dataDirectory: String, devicesDirectory: String, rulesDirectory: String, mqttPort: Int, httpPort: Int, adminSecret: String,
        process: Process, logDirectory: String
    ) {
        self.dataDirectory = dataDirectory
        self.devicesDirectory = devicesDirectory
        self.rulesDirectory = rulesDirectory
        self.mqttPort = mqttPort
        self.httpPort = httpPort
        self.adminSecret = adminSecret
        self.process = process
        self.logDirectory = logDirectory
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The gateway's stdout and the tail of its stderr, for failure messages.
    public func logs() -> String {
        let out = (try? String(contentsOfFile: (logDirectory as NSString).appendingPathComponent("stdout.log"), encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: (logDirectory as NSString).appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
        return "stdout:\n\(out)\nstderr:\n\(err.suffix(6000))"
    }

    /// Sends `signal` and waits for the process to exit; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw Failure(description: "iotgw did not exit within \(timeout) after signal \(signal)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// An HTTP request to the gateway's API, with the admin key unless `authenticated` is false.
    public func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:],
        authenticated: Bool = true
    ) async throws -> (status: Int, body: [UInt8], headers: [String: String]) {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)\(path)")!)
        r.httpMethod = method
        if let body { r.httpBody = Data(body) }
        if authenticated { r.setValue(adminSecret, forHTTPHeaderField: "x-api-key") }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: r)
        let http = response as! HTTPURLResponse
        var hs: [String: String] = [:]
        for (k, v) in http.allHeaderFields { hs["\(k)".lowercased()] = "\(v)" }
        return (http.statusCode, Array(data), hs)
    }

    /// `request` whose body is parsed as JSON.
    public func requestJSON(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> (
        status: Int, json: JSONValue
    ) {
        let r = try await request(method, path, body: body?.serializedBytes())
        return (r.status, try JSONValue.parse(r.body))
    }

    /// The admin key's id (its access key id for SigV4), from `DATA/admin.key`.
    public func adminKeyId() throws -> String? {
        try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/admin.key"))))["keyId"]?.stringValue
    }

    /// A thing's MQTT password, as `iotgw things credentials` prints it.
    public func password(for thing: String) throws -> String {
        DeviceCredentials.password(for: thing, key: try DeviceCredentials.loadOrCreateKey(dataDirectory: dataDirectory))
    }

    /// An MQTT client connected as `thing` (client id = username = thing name).
    public func connectDevice(_ thing: String, eventLoop: MQTTEventLoop) async throws -> MQTTClient {
        var c = MQTTClient.Configuration()
        c.host = "127.0.0.1"
        c.port = mqttPort
        c.clientID = thing
        c.username = thing
        c.password = try password(for: thing)
        let client = try MQTTClient(configuration: c, eventLoop: eventLoop)
        try await client.connect()
        return client
    }

    /// The default devices file: one pump type, a fleet of 10.
    public static let defaultDevicesYAML = """
        deviceTypes:
          - name: pump
            topic: "devices/{thing}/telemetry"
            interval: 1s
            telemetry:
              temperature: { generator: gaussian, mean: 60, stddev: 3 }
        fleets:
          - name: pumps
            type: pump
            count: 10
            idPattern: "pump-{0000}"
        """
}

/// A new empty directory under the system temporary directory.
public func makeTemporaryDirectory(prefix: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
