import Foundation
import GatewayTesting
import IoTCore
import MQTT
import XCTest

/// Rules running in a real gateway: files in the watched folder, shadow documents, errorAction.
final class RulesEndToEndTests: XCTestCase {
    /// How long a rule-folder change may take to apply (issue 5: within 1 s).
    static let reload = Duration.seconds(1)

    static func alertRule(name: String = "hot", version: String, threshold: Int = 50) -> String {
        """
        name: \(name)
        sql: "SELECT '\(version)' AS version, seq, topic(2) AS device FROM 'devices/+/telemetry' WHERE temperature > \(threshold)"
        actions:
          - republish: { topic: "devices/${topic(2)}/alerts", qos: 1 }
        """
    }

    func publishTelemetry(_ device: MQTTClient, _ thing: String, seq: Int, temperature: Int = 70) async throws {
        try await device.publish(
            topic: "devices/\(thing)/telemetry", payload: Array(#"{"temperature":\#(temperature),"seq":\#(seq)}"#.utf8),
            qos: .atLeastOnce)
    }

    func testRuleFileAddedEditedBrokenAndRemovedTakesEffectWithinOneSecond() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0001", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0001/alerts", qos: .atLeastOnce)
        let file = gw.rulesDirectory + "/hot.yaml"
        let alerts = "devices/pump-0001/alerts"

        // No rule yet: nothing is republished.
        try await publishTelemetry(device, "pump-0001", seq: 0)
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(inbox.count(alerts), 0)

        // Added: fires within 1 s of the write.
        try Self.alertRule(version: "v1").write(toFile: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: Self.reload)
        try await publishTelemetry(device, "pump-0001", seq: 1)
        var got = try await inbox.wait(for: alerts, count: 1, timeout: .seconds(2))
        XCTAssertEqual(got.last, ["version": "v1", "seq": 1, "device": "pump-0001"])
        try await publishTelemetry(device, "pump-0001", seq: 2, temperature: 20)

        // Edited in place (not atomically): the new version runs, without a restart.
        try Self.alertRule(version: "v2").write(toFile: file, atomically: false, encoding: .utf8)
        try await Task.sleep(for: Self.reload)
        try await publishTelemetry(device, "pump-0001", seq: 3)
        got = try await inbox.wait(for: alerts, count: 2, timeout: .seconds(2))
        XCTAssertEqual(got.last?["version"], "v2")
        XCTAssertEqual(got.map { $0["seq"] }, [1, 3], "the WHERE clause filtered seq 2")

        // Broken: the last good version keeps running and the error is reported.
        try "name: hot\nsql: \"SELECT * FROM 'devices/+/telemetry' WHERE\"\nactions: []\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: Self.reload)
        try await publishTelemetry(device, "pump-0001", seq: 4)
        got = try await inbox.wait(for: alerts, count: 3, timeout: .seconds(2))
        XCTAssertEqual(got.last?["version"], "v2")
        let status = try await gw.requestJSON("GET", "/rules/hot")
        XCTAssertEqual(status.status, 200)
        XCTAssertEqual(status.json["status"]?["state"], "error")
        XCTAssertEqual(status.json["status"]?["runningLastGoodVersion"], true)
        let errors = status.json["status"]?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertTrue(errors.contains { $0.contains("hot.yaml:2:") && $0.contains("error:") }, "\(errors)")
        XCTAssertEqual(status.json["rule"]?["sql"]?.stringValue?.contains("'v2'"), true)
        let metrics = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertGreaterThanOrEqual(metricValue(metrics, "iotgw_rules_load_errors_total") ?? 0, 1, metrics)
        XCTAssertEqual(metricValue(metrics, #"iotgw_rule_where_passed_total{rule="hot"}"#), 3, metrics)
        XCTAssertEqual(metricValue(metrics, #"iotgw_rule_messages_matched_total{rule="hot"}"#), 4, metrics)

        // Removed: the rule stops.
        try FileManager.default.removeItem(atPath: file)
        try await Task.sleep(for: Self.reload)
        try await publishTelemetry(device, "pump-0001", seq: 5)
        try await Task.sleep(for: .milliseconds(500))
        XCTAssertEqual(inbox.count(alerts), 3)
        let gone = try await gw.request("GET", "/rules/hot")
        XCTAssertEqual(gone.status, 404)
        await device.disconnect()
    }

    func testReloadsUnderLoadEvaluateEachMessageExactlyOnce() async throws {
        let gw = try await TestGateway.start(ruleFiles: ["hot.yaml": Self.alertRule(version: "a")])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0002", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0002/alerts", qos: .atLeastOnce)
        let file = gw.rulesDirectory + "/hot.yaml"
        let count = 600
        for seq in 0..<count {
            try await publishTelemetry(device, "pump-0002", seq: seq)
            if seq % 60 == 59 {
                // Rewrite the rule every ~60 messages; versions alternate, the WHERE stays true.
                try Self.alertRule(version: seq % 120 == 59 ? "b" : "a").write(toFile: file, atomically: (seq / 60) % 2 == 0, encoding: .utf8)
            }
            if seq % 20 == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        let got = try await inbox.wait(for: "devices/pump-0002/alerts", count: count, timeout: .seconds(20))
        try await Task.sleep(for: .milliseconds(300))
        let seqs = inbox.messages.get().filter { $0.topic == "devices/pump-0002/alerts" }.compactMap {
            try? JSONValue.parse($0.payload)["seq"]?.intValue
        }
        XCTAssertEqual(seqs.count, count, "each message fires the rule once, under one rule version")
        XCTAssertEqual(Set(seqs), Set((0..<count).map(Int64.init)))
        XCTAssertTrue(got.contains { $0["version"] == "b" }, "the reloads took effect during the run")
        await device.disconnect()
    }

    func testShadowDocumentsAndShadowRequestsReachRules() async throws {
        let rules = """
            - name: documents
              sql: "SELECT topic(3) AS thing, current.state.reported AS reported, current.version AS version FROM '$aws/things/+/shadow/update/documents'"
              actions:
                - republish: { topic: "devices/${topic(3)}/documents" }
            - name: requests
              sql: "SELECT clientid() AS client, principal() AS principal, state FROM '$aws/things/+/shadow/update'"
              actions:
                - republish: { topic: "devices/${topic(3)}/requests" }
            """
        let gw = try await TestGateway.start(ruleFiles: ["shadow.yaml": rules])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0003", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0003/#", qos: .atLeastOnce)

        let rest = try await gw.requestJSON("POST", "/things/pump-0003/shadow", body: ["state": ["reported": ["speed": 3]]])
        XCTAssertEqual(rest.status, 200)
        var docs = try await inbox.wait(for: "devices/pump-0003/documents")
        XCTAssertEqual(docs.first, ["thing": "pump-0003", "reported": ["speed": 3], "version": 1])

        try await device.publish(
            topic: "$aws/things/pump-0003/shadow/update", payload: Array(#"{"state":{"reported":{"speed":4}}}"#.utf8),
            qos: .atLeastOnce)
        let requests = try await inbox.wait(for: "devices/pump-0003/requests")
        XCTAssertEqual(requests.first, ["client": "pump-0003", "principal": "pump-0003", "state": ["reported": ["speed": 4]]])
        docs = try await inbox.wait(for: "devices/pump-0003/documents", count: 2)
        XCTAssertEqual(docs.last?["version"], 2, "the shadow update was applied once")
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(inbox.count("devices/pump-0003/documents"), 2)
        XCTAssertEqual(inbox.count("devices/pump-0003/requests"), 1)
        await device.disconnect()
    }

    func testErrorActionReceivesTheAWSErrorDocument() async throws {
        let rule = """
            name: bad_topic
            sql: "SELECT * FROM 'devices/+/telemetry'"
            actions:
              - republish: { topic: "devices/${topic(2)}/${kind}" }
            errorAction:
              republish: { topic: "devices/${topic(2)}/errors" }
            """
        let gw = try await TestGateway.start(ruleFiles: ["bad.yaml": rule])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0004", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0004/errors", qos: .atLeastOnce)
        let payload = ##"{"kind":"#","temperature":1}"##
        try await device.publish(topic: "devices/pump-0004/telemetry", payload: Array(payload.utf8), qos: .atLeastOnce)
        let report = try await inbox.wait(for: "devices/pump-0004/errors").first
        XCTAssertEqual(report?["ruleName"], "bad_topic")
        XCTAssertEqual(report?["topic"], "devices/pump-0004/telemetry")
        XCTAssertEqual(report?["clientId"], "pump-0004")
        XCTAssertEqual(report?["base64OriginalPayload"]?.stringValue, Data(payload.utf8).base64EncodedString())
        let failure = report?["failures"]?.arrayValue?.first
        XCTAssertEqual(failure?["failedAction"], "republish")
        XCTAssertEqual(failure?["failedResource"], "devices/pump-0004/#")
        XCTAssertEqual(failure?["errorMessage"]?.stringValue?.contains("not a valid topic"), true)

        // A fine message on the same rule still publishes: the gateway keeps running.
        try await device.subscribe("devices/pump-0004/ok", qos: .atLeastOnce)
        try await device.publish(topic: "devices/pump-0004/telemetry", payload: Array(#"{"kind":"ok"}"#.utf8), qos: .atLeastOnce)
        _ = try await inbox.wait(for: "devices/pump-0004/ok")
        let metrics = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertEqual(metricValue(metrics, #"iotgw_rule_action_errors_total{rule="bad_topic"}"#), 1, metrics)
        XCTAssertEqual(metricValue(metrics, #"iotgw_rule_actions_fired_total{rule="bad_topic"}"#), 1, metrics)
        await device.disconnect()
    }
}

extension RulesEndToEndTests {
    func testRepublishedMessagesReachOtherRulesAndTelemetryWithoutTheBroker() async throws {
        // The gateway's `#` is No Local: its own republishes are routed inside the gateway.
        let first = """
            name: stage1
            sql: "SELECT temperature * 2 AS doubled FROM 'devices/+/stage1'"
            actions:
              - republish: { topic: "devices/${topic(2)}/stage2", qos: 1 }
            """
        let second = """
            name: stage2
            sql: "SELECT doubled + 1 AS temperature, 7 AS seq FROM 'devices/+/stage2'"
            actions:
              - republish: { topic: "devices/${topic(2)}/telemetry" }
            """
        let gw = try await TestGateway.start(ruleFiles: ["stage1.yaml": first, "stage2.yaml": second])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0008", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0008/stage2", qos: .atLeastOnce)
        try await device.publish(topic: "devices/pump-0008/stage1", payload: Array(#"{"temperature":20}"#.utf8), qos: .atLeastOnce)

        // Other subscribers still get the republished message from the broker.
        let stage2 = try await inbox.wait(for: "devices/pump-0008/stage2", count: 1, timeout: .seconds(5))
        XCTAssertEqual(stage2, [["doubled": 40]])
        // The second rule saw it, and its output, on the telemetry topic, was stored as telemetry.
        let deadline = ContinuousClock.now + .seconds(5)
        var points: [JSONValue] = []
        while points.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            points = try await gw.requestJSON("GET", "/things/pump-0008/telemetry?field=temperature").json["points"]?.arrayValue ?? []
        }
        XCTAssertEqual(points.map { $0["value"]?.doubleValue }, [41])
        let text = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertEqual(metricValue(text, "iotgw_own_messages_routed_total"), 2, "stage2 and telemetry were routed by the gateway itself")
        XCTAssertEqual(metricValue(text, "iotgw_ingest_messages_received_total"), 1, "only the device's message came from the broker")
        await device.disconnect()

        // The gateway's own connection: MQTT 5 over the TLS-PSK listener on a Unix socket.
        let broker = gw.dataDirectory + "/broker"
        let config = try String(contentsOfFile: broker + "/mosquitto.conf", encoding: .utf8).split(separator: "\n").map(String.init)
        let pskLine = try XCTUnwrap(config.firstIndex(of: "psk_hint iotgw"), "the broker has a PSK listener")
        XCTAssertEqual(config[pskLine - 1], "listener 0 \(broker)/link.sock", "the PSK listener is a Unix socket")
        let log = try String(contentsOfFile: broker + "/mosquitto.log", encoding: .utf8)
        let connected = try XCTUnwrap(
            log.split(separator: "\n").first { $0.contains(" as iotgw-ingest (") }, "the gateway connection is not in the broker log: \(log.prefix(3000))")
        XCTAssertTrue(connected.contains("(p5, c0"), "MQTT 5 with a persistent session: \(connected)")
        XCTAssertTrue(connected.contains("connected from \(broker)/link.sock:"), "connected through the Unix socket: \(connected)")
    }

    func testARuleAddedLaterSeesRepublishedTopicsThatMatchedNothingBefore() async throws {
        // The gateway remembers republished topics that nothing took; a new rule must reset that.
        let first = """
            name: first
            sql: "SELECT n FROM 'devices/+/in'"
            actions:
              - republish: { topic: "devices/${topic(2)}/middle" }
            """
        let gw = try await TestGateway.start(ruleFiles: ["first.yaml": first])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0009", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0009/middle", qos: .atLeastOnce)
        try await device.subscribe("devices/pump-0009/last", qos: .atLeastOnce)
        try await device.publish(topic: "devices/pump-0009/in", payload: Array(#"{"n":1}"#.utf8), qos: .atLeastOnce)
        _ = try await inbox.wait(for: "devices/pump-0009/middle", count: 1)

        let second = """
            name: second
            sql: "SELECT n + 1 AS n FROM 'devices/+/middle'"
            actions:
              - republish: { topic: "devices/${topic(2)}/last" }
            """
        try second.write(toFile: gw.rulesDirectory + "/second.yaml", atomically: true, encoding: .utf8)
        try await Task.sleep(for: Self.reload)
        try await device.publish(topic: "devices/pump-0009/in", payload: Array(#"{"n":2}"#.utf8), qos: .atLeastOnce)
        let last = try await inbox.wait(for: "devices/pump-0009/last", count: 1)
        XCTAssertEqual(last, [["n": 3]])
        XCTAssertEqual(inbox.count("devices/pump-0009/last"), 1, "the first republish happened before the rule existed")
        await device.disconnect()
    }

    func testRepublishLoopStopsAtTheHopLimitAndIsCounted() async throws {
        let rule = """
            name: loop
            sql: "SELECT * FROM 'devices/+/loop'"
            actions:
              - republish: { topic: "devices/${topic(2)}/loop" }
            """
        let gw = try await TestGateway.start(ruleFiles: ["loop.yaml": rule])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0006", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0006/loop", qos: .atLeastOnce)
        try await device.publish(topic: "devices/pump-0006/loop", payload: Array(#"{"n":1}"#.utf8), qos: .atLeastOnce)
        let deadline = ContinuousClock.now + .seconds(10)
        var dropped = 0.0
        while dropped < 1 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let text = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
            dropped = metricValue(text, #"iotgw_own_messages_dropped_total{reason="hop_limit"}"#) ?? 0
        }
        XCTAssertEqual(dropped, 1, "the 17th republish in a row is not routed again")
        try await Task.sleep(for: .milliseconds(500))
        let text = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        // The device's message and 16 republishes went through the rule; each republish is counted as a loop.
        XCTAssertEqual(metricValue(text, #"iotgw_rule_republish_loops_total{rule="loop"}"#), 17)
        XCTAssertEqual(metricValue(text, "iotgw_own_messages_routed_total"), 16)
        // Subscribers got every republished message: the device's own one and 17 republishes.
        _ = try await inbox.wait(for: "devices/pump-0006/loop", count: 18, timeout: .seconds(5))
        // Removing the rule; the gateway still answers.
        try FileManager.default.removeItem(atPath: gw.rulesDirectory + "/loop.yaml")
        try await Task.sleep(for: Self.reload)
        let health = try await gw.request("GET", "/health", authenticated: false)
        XCTAssertEqual(health.status, 200)
        XCTAssertTrue(gw.isRunning)
        await device.disconnect()
    }
}

extension RulesEndToEndTests {
    func testRunTimeEvaluationErrorGoesToErrorActionAndMetric() async throws {
        let rule = """
            name: too_big
            sql: "SELECT name AS a, name AS b FROM 'devices/+/big'"
            actions:
              - republish: { topic: "devices/${topic(2)}/big_out" }
            errorAction:
              republish: { topic: "devices/${topic(2)}/errors" }
            """
        let gw = try await TestGateway.start(ruleFiles: ["big.yaml": rule])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0007", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0007/#", qos: .atLeastOnce)
        // 100 kB in, twice that out: over AWS's 128 KiB message limit.
        let name = String(repeating: "x", count: 100_000)
        try await device.publish(topic: "devices/pump-0007/big", payload: Array(#"{"name":"\#(name)"}"#.utf8), qos: .atLeastOnce)
        let report = try await inbox.wait(for: "devices/pump-0007/errors").first
        XCTAssertEqual(report?["ruleName"], "too_big")
        let failure = report?["failures"]?.arrayValue?.first
        XCTAssertEqual(failure?["failedAction"], "SQL")
        XCTAssertEqual(failure?["errorMessage"]?.stringValue?.contains("over the 131072-byte limit"), true, "\(String(describing: failure))")
        XCTAssertEqual(inbox.count("devices/pump-0007/big_out"), 0)
        let metrics = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertEqual(metricValue(metrics, #"iotgw_rule_evaluation_errors_total{rule="too_big"}"#), 1, metrics)
        await device.disconnect()
    }
}

/// The value of the Prometheus sample `series` (name with labels), or nil when absent.
func metricValue(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
