import Broker
import Devices
import Foundation
import IoTCore
import MQTT
import Simulator
import Testing

/// Runs against a real mosquitto the test starts on a free port.
@Suite(.serialized, .timeLimit(.minutes(2))) struct BrokerRunTests {
    static let user = TestBroker.defaultUser

    func devicesFolder(_ yaml: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sim-devices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try yaml.write(toFile: dir + "/d.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    func scenario(_ broker: TestBroker, devices: String, fleet: String, count: Int, rate: Double, seconds: Double,
                  credentials: Scenario.Credentials? = nil) throws -> (Scenario, DeviceCatalog) {
        var settings = ScenarioSettings()
        settings.broker = "mqtt://\(broker.host):\(broker.port)"
        settings.devicesDirectory = devices
        settings.fleet = fleet
        settings.count = count
        settings.rate = rate
        settings.duration = seconds
        settings.seed = 5
        settings.connectRate = 2000
        settings.username = Self.user.username
        settings.password = Self.user.password
        var (s, c) = try Scenario.resolve(settings)
        if let credentials { s.credentials = credentials }
        return (s, c)
    }

    func subscriber(_ broker: TestBroker, _ filter: String) async throws -> (MQTTClient, LockedValue<[MQTTMessage]>) {
        let client = try MQTTClient(configuration: .init(
            host: broker.host, port: broker.port, clientID: "test-sub-\(UUID().uuidString.prefix(6))",
            username: Self.user.username, password: Self.user.password))
        let received = LockedValue<[MQTTMessage]>([])
        client.onMessage { m in received.withLock { $0.append(m) } }
        try await client.connect()
        try await client.subscribe(filter, qos: .atLeastOnce)
        return (client, received)
    }

    @Test func fiveHundredDevicesDeliverEveryMessageInSequence() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let devices = try devicesFolder("""
            deviceTypes:
              - name: sensor
                telemetry:
                  t: { generator: gaussian, mean: 20, stddev: 1 }
            fleets:
              - { name: sensors, type: sensor, count: 500, idPattern: "s-{000}" }
            """)
        let (sub, received) = try await subscriber(broker, "devices/+/telemetry")
        let (s, catalog) = try scenario(broker, devices: devices, fleet: "sensors", count: 500, rate: 2, seconds: 3)
        let report = try await Simulation(scenario: s, catalog: catalog).run()

        // The subscriber may still be reading the last messages the broker acknowledged.
        let deadline = ContinuousClock.now + .seconds(10)
        while received.get().count < report.messages.acked && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        await sub.disconnect()
        let messages = received.get()
        #expect(report.devices.connected == 500)
        #expect(report.messages.sent > 2000)
        #expect(report.messages.failed == 0)
        #expect(report.messages.acked == report.messages.sent)
        #expect(messages.count == report.messages.acked)
        var seqs: [String: [Int64]] = [:]
        for m in messages {
            let doc = try JSONValue.parse(m.payload)
            let thing = String(m.topic.split(separator: "/")[1])
            seqs[thing, default: []].append(try #require(doc["seq"]?.intValue))
            #expect(doc["ts"]?.intValue != nil && doc["t"]?.doubleValue != nil)
        }
        #expect(seqs.count == 500)
        for (thing, list) in seqs {
            #expect(list == Array(1...Int64(list.count)), "sequence of \(thing) has gaps, duplicates or reordering")
        }
        #expect(report.latencyMs.publishAck.count == UInt64(report.messages.acked))
        #expect(report.latencyMs.publishAck.p99 > 0)
        // The --json shape the acceptance checks read.
        let json = try JSONValue.parse(Array(try JSONEncoder().encode(report)))
        #expect(json["devices"]?["connected"]?.intValue == 500)
        #expect(json["messages"]?["sent"]?.intValue == Int64(messages.count))
        #expect(json["messages"]?["acked"]?.intValue == Int64(messages.count))
        #expect(json["messages"]?["failed"]?.intValue == 0)
        for key in ["p50", "p99", "max"] { #expect(json["latencyMs"]?["publishAck"]?[key]?.doubleValue != nil) }
        try? FileManager.default.removeItem(atPath: devices)
    }

    @Test func shadowDeviceReportsOnConnectAndAppliesDesiredAfterItsDelay() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let devices = try devicesFolder("""
            deviceTypes:
              - name: valve
                interval: 1s
                shadow:
                  reported: { mode: auto, setpoint: 60 }
                  applyDesired: { delay: 300ms }
            fleets:
              - { name: valves, type: valve, count: 1, idPattern: "v-{0}" }
            """)
        let (sub, received) = try await subscriber(broker, "$aws/things/v-0/shadow/update")
        let (s, catalog) = try scenario(broker, devices: devices, fleet: "valves", count: 1, rate: 1, seconds: 3)
        let run = Task { try await Simulation(scenario: s, catalog: catalog).run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while received.get().isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try JSONValue.parse(try #require(received.get().first).payload) == ["state": ["reported": ["mode": "auto", "setpoint": 60]]])
        let sentDelta = ContinuousClock.now
        try await sub.publish(topic: "$aws/things/v-0/shadow/update/delta", payload: #"{"version":2,"state":{"setpoint":72}}"#, qos: .atLeastOnce)
        while received.get().count < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(ContinuousClock.now - sentDelta >= .milliseconds(300))
        #expect(try JSONValue.parse(try #require(received.get().last).payload) == ["state": ["reported": ["setpoint": 72]]])
        let report = try await run.value
        await sub.disconnect()
        #expect(report.shadow.deltasReceived == 1)
        #expect(report.shadow.reportsSent == 2)
        try? FileManager.default.removeItem(atPath: devices)
    }

    @Test func probeMeasuresEndToEndLatencyOnItsTopic() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        var (s, catalog) = try scenario(broker, devices: shippedDevices, fleet: "pumps", count: 10, rate: 5, seconds: 2)
        s.probeTopic = "devices/+/telemetry"
        s.probeUsername = Self.user.username
        s.probePassword = Self.user.password
        let report = try await Simulation(scenario: s, catalog: catalog).run()
        #expect(report.messages.acked > 50)
        #expect(report.probe?.received == report.messages.acked)
        #expect(report.latencyMs.endToEnd?.count == UInt64(report.messages.acked))
    }

    @Test func refusedCredentialsEndTheRunWithOneLine() async throws {
        let broker = try await TestBroker.start()
        defer { Task { await broker.stop() } }
        let (s, catalog) = try scenario(broker, devices: shippedDevices, fleet: "pumps", count: 10, rate: 1, seconds: 1,
                                        credentials: .shared(username: "test", password: "wrong"))
        await #expect {
            _ = try await Simulation(scenario: s, catalog: catalog).run()
        } throws: { error in
            let text = "\(error)"
            return text.contains("refused the connection") && text.contains("as user test") && !text.contains("\n")
        }
    }

    @Test func unreachableBrokerFailsFast() async throws {
        let port = try FreePort.pick()
        var settings = ScenarioSettings()
        settings.broker = "mqtt://127.0.0.1:\(port)"
        settings.devicesDirectory = shippedDevices
        settings.fleet = "pumps"
        settings.duration = 1
        let (s, catalog) = try Scenario.resolve(settings)
        let started = ContinuousClock.now
        await #expect {
            _ = try await Simulation(scenario: s, catalog: catalog).run()
        } throws: { error in
            "\(error)".contains("Could not connect to 127.0.0.1:\(port)")
        }
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    @Test func unknownFleetAndUnregisteredThingsAreClearErrors() throws {
        var settings = ScenarioSettings()
        settings.devicesDirectory = shippedDevices
        settings.fleet = "pumpz"
        #expect { _ = try Scenario.resolve(settings) } throws: { "\($0)".contains("Unknown fleet \"pumpz\" (fleets in \(shippedDevices): pumps)") }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString)").path
        _ = try DeviceCredentials.loadOrCreateKey(dataDirectory: data)
        defer { try? FileManager.default.removeItem(atPath: data) }
        settings.fleet = "pumps"
        settings.count = 11
        settings.dataDirectory = data
        #expect { _ = try Scenario.resolve(settings) } throws: { "\($0)".hasPrefix("Thing pump-0010 is not registered with the gateway") }
    }
}

/// The repository's `devices/` folder.
let shippedDevices: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("devices").path
}()
