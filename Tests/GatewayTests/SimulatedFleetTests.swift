import Broker
import Foundation
import GatewayTesting
import IoTCore
import Simulator
import XCTest

/// iotsim against the real gateway: simulated devices with shadow behaviour converge after a
/// `desired` change made over the REST API (issue 6), using the gateway's device credentials.
final class SimulatedFleetTests: XCTestCase {
    func testShadowDevicesConvergeAfterARESTDesiredUpdate() async throws {
        let gw = try await TestGateway.start(devicesYAML: Self.valves)
        defer { Task { try? await gw.stop() } }
        let settings = Self.settings(gw, broker: "mqtt://127.0.0.1:\(gw.mqttPort)", rate: 1, duration: 6)
        let (scenario, catalog) = try Scenario.resolve(settings)
        let run = Task { try await Simulation(scenario: scenario, catalog: catalog).run() }

        // Each device reports its initial state when it connects.
        for thing in ["valve-0", "valve-1", "valve-2"] {
            let reported = try await poll("\(thing) reports on connect") {
                let r = try await gw.requestJSON("GET", "/things/\(thing)/shadow")
                return r.status == 200 ? r.json["state"]?["reported"]?["setpoint"] : nil
            }
            XCTAssertEqual(reported, 60)
        }
        let changed = ContinuousClock.now
        let up = try await gw.requestJSON("POST", "/things/valve-1/shadow", body: ["state": ["desired": ["setpoint": 72]]])
        XCTAssertEqual(up.status, 200)
        let converged = try await poll("valve-1 reports the desired setpoint") { () -> JSONValue? in
            let r = try await gw.requestJSON("GET", "/things/valve-1/shadow")
            let done = r.json["state"]?["reported"]?["setpoint"] == 72 && r.json["state"]?["delta"] == nil
            return done ? r.json : nil
        }
        let took = ContinuousClock.now - changed
        XCTAssertGreaterThanOrEqual(took, .milliseconds(200), "the device applies desired after its configured delay")
        XCTAssertNil(converged["state"]?["delta"], "no delta once reported matches desired")

        let report = try await run.value
        XCTAssertEqual(report.devices.connected, 3)
        XCTAssertEqual(report.shadow.deltasReceived, 1)
        XCTAssertEqual(report.messages.failed, 0)
        // Telemetry of simulated devices is stored like any device's.
        let points = try await gw.requestJSON("GET", "/things/valve-0/telemetry?field=flow").json["points"]?.arrayValue
        XCTAssertGreaterThanOrEqual(points?.count ?? 0, 3)
    }

    /// `iotsim run --api`: the convergence probe's samples include the device's apply delay.
    func testShadowConvergenceProbeMeasuresThroughTheRESTAPI() async throws {
        let gw = try await TestGateway.start(devicesYAML: Self.valves)
        defer { Task { try? await gw.stop() } }
        var settings = Self.settings(gw, broker: "mqtt://127.0.0.1:\(gw.mqttPort)", rate: 1, duration: 4)
        settings.shadowProbeAPI = "http://127.0.0.1:\(gw.httpPort)"
        settings.shadowProbeInterval = 0.3
        let (scenario, catalog) = try Scenario.resolve(settings)
        XCTAssertEqual(scenario.shadowProbeKey, gw.adminSecret, "the API key comes from --data's admin.key")
        let report = try await Simulation(scenario: scenario, catalog: catalog).run()
        let probe = try XCTUnwrap(report.shadowProbe)
        XCTAssertGreaterThanOrEqual(probe.converged, 3, "\(probe)")
        XCTAssertEqual(probe.timedOut, 0)
        let latency = try XCTUnwrap(report.latencyMs.shadowConvergence)
        XCTAssertEqual(latency.count, UInt64(probe.converged))
        XCTAssertGreaterThanOrEqual(latency.p50, 200, "includes the device's 200 ms applyDesired delay")

        settings.devicesDirectory = gw.devicesDirectory
        settings.shadowProbeKey = nil
        settings.dataDirectory = nil
        settings.username = "x"
        XCTAssertThrowsError(try Scenario.resolve(settings), "--api without a key is a clear error")
    }

    /// `iotsim run --probe-topic` through a gateway rule that republishes telemetry: every
    /// acknowledged message arrives on the probe topic and yields an end-to-end sample.
    func testProbeRuleMeasuresPublishToRuleActionLatency() async throws {
        let gw = try await TestGateway.start(
            devicesYAML: Self.valves,
            ruleFiles: [
                "probe.yaml": """
                name: probe
                sql: "SELECT * FROM 'devices/+/telemetry'"
                actions:
                  - republish: { topic: "probe/${topic(2)}", qos: 1 }
                """
            ])
        defer { Task { try? await gw.stop() } }
        var settings = Self.settings(gw, broker: "mqtt://127.0.0.1:\(gw.mqttPort)", rate: 5, duration: 2)
        settings.probeTopic = "probe/+"
        let (scenario, catalog) = try Scenario.resolve(settings)
        XCTAssertEqual(scenario.probeUsername, "iotgw", "with --data the probe uses the gateway's own identity")
        let report = try await Simulation(scenario: scenario, catalog: catalog).run()
        XCTAssertGreaterThan(report.messages.acked, 10)
        XCTAssertEqual(report.probe?.received, report.messages.acked, "every message went through the rule")
        XCTAssertEqual(report.latencyMs.endToEnd?.count, UInt64(report.messages.acked))
    }

    /// The gateway serves MQTT over TLS requiring client certificates; iotsim connects with
    /// one (and the devices' passwords), and a device without a certificate is refused.
    func testIotsimOverTLSWithClientCertificates() async throws {
        let certs = try TestCertificates(directory: try makeTemporaryDirectory(prefix: "iotgw-tls"))
        let gw = try await TestGateway.start(
            devicesYAML: Self.valves,
            extraArguments: [
                "--mqtts-port", "0", "--tls-ca", certs.caFile, "--tls-cert", certs.certFile, "--tls-key", certs.keyFile,
                "--require-client-cert",
            ])
        defer { Task { try? await gw.stop() } }
        let line = try XCTUnwrap(gw.logs().split(separator: "\n").first { $0.hasPrefix("MQTT over TLS listening on ") })
        let tlsPort = try XCTUnwrap(Int(line.split(separator: ":").last ?? ""))
        var settings = Self.settings(gw, broker: "mqtts://127.0.0.1:\(tlsPort)", rate: 5, duration: 2)
        settings.tls = .init(caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile)
        let (scenario, catalog) = try Scenario.resolve(settings)
        let report = try await Simulation(scenario: scenario, catalog: catalog).run()
        XCTAssertEqual(report.devices.connected, 3)
        XCTAssertGreaterThan(report.messages.acked, 10)
        XCTAssertEqual(report.messages.failed, 0)
        let points = try await gw.requestJSON("GET", "/things/valve-2/telemetry?field=flow").json["points"]?.arrayValue
        XCTAssertGreaterThan(points?.count ?? 0, 0, "telemetry over TLS is stored")

        settings.tls = .init(caFile: certs.caFile)
        settings.duration = 1
        let (noCert, _) = try Scenario.resolve(settings)
        do {
            _ = try await Simulation(scenario: noCert, catalog: catalog).run()
            XCTFail("a device without a client certificate must be refused")
        } catch {
            XCTAssertFalse("\(error)".isEmpty)
        }
    }

    /// Three valves of `valves` with the gateway's device credentials (`--data`).
    static func settings(_ gw: TestGateway, broker: String, rate: Double, duration: Double) -> ScenarioSettings {
        var settings = ScenarioSettings()
        settings.broker = broker
        settings.devicesDirectory = gw.devicesDirectory
        settings.fleet = "valves"
        settings.count = 3
        settings.rate = rate
        settings.duration = duration
        settings.seed = 7
        settings.dataDirectory = gw.dataDirectory
        return settings
    }

    static let valves = """
        deviceTypes:
          - name: valve
            interval: 1s
            telemetry:
              flow: { generator: uniform, min: 1, max: 2 }
            shadow:
              reported: { mode: auto, setpoint: 60 }
              applyDesired: { delay: 200ms }
        fleets:
          - { name: valves, type: valve, count: 3, idPattern: "valve-{0}" }
        """

    func poll<T: Sendable>(_ what: String, timeout: Duration = .seconds(10), _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let v = try await probe() { return v }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestGateway.Failure(description: "timed out waiting until \(what)")
    }
}

/// `iotsim bench shadow-updates` (issue 4's benchmark) against the real gateway, small: every
/// update must be applied in order and answered, with the answers counted by the observer or by
/// each device.
final class ShadowUpdateBenchmarkTests: XCTestCase {
    func testEveryUpdateIsAppliedAndAnsweredInBothCountingModes() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let things = try (0..<10).map { n in
            let name = String(format: "pump-%04d", n)
            return (name: name, password: try gw.password(for: name))
        }
        let endpoint = ShadowUpdateBenchmark.Endpoint(host: "127.0.0.1", port: gw.mqttPort)
        for (round, observe) in [false, true].enumerated() {
            var bench = ShadowUpdateBenchmark(gateway: endpoint, things: things, updatesPerThing: 7, reference: nil)
            if observe {
                // The gateway's own broker user, which may read every thing's shadow topics.
                let secret = try String(contentsOfFile: gw.dataDirectory + "/broker/gateway.secret", encoding: .utf8)
                bench.observer = ("iotgw", secret.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            bench.timeout = .seconds(30)
            let result = try await bench.run()
            XCTAssertEqual(result.gateway.messages, 70)
            XCTAssertNil(result.reference)
            for thing in things {
                let shadow = try await gw.requestJSON("GET", "/things/\(thing.name)/shadow").json
                XCTAssertEqual(shadow["version"], .int(Int64(7 * (round + 1))), "\(thing.name): every update applied (observe: \(observe))")
                XCTAssertEqual(shadow["state"]?["reported"]?["seq"], 6, "\(thing.name): the last update last")
            }
        }
    }
}
