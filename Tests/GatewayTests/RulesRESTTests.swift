import Foundation
import GatewayTesting
import IoTCore
import MQTT
import XCTest

/// The AWS `iot` TopicRule API over a real gateway: rules stored in SQLite, file rules read-only.
final class RulesRESTTests: XCTestCase {
    static let fileRule = """
        name: from_file
        sql: "SELECT * FROM 'devices/+/telemetry'"
        actions: []
        """

    static func payload(_ sql: String, topic: String = "devices/${topic(2)}/rest", disabled: Bool = false) -> JSONValue {
        [
            "sql": .string(sql), "ruleDisabled": .bool(disabled), "awsIotSqlVersion": "2016-03-23",
            "actions": [["republish": ["topic": .string(topic), "qos": 1]]],
        ]
    }

    func testCreateGetListReplaceEnableDisableDeleteAndPersistence() async throws {
        let gw = try await TestGateway.start(ruleFiles: ["file.yaml": Self.fileRule])
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0005", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("devices/pump-0005/rest", qos: .atLeastOnce)
        func send(_ seq: Int) async throws {
            try await device.publish(
                topic: "devices/pump-0005/telemetry", payload: Array(#"{"temperature":70,"seq":\#(seq)}"#.utf8), qos: .atLeastOnce)
        }

        var r = try await gw.requestJSON("POST", "/rules/rest_rule", body: Self.payload("SELECT seq FROM 'devices/+/telemetry'"))
        XCTAssertEqual(r.status, 200, "\(r.json)")
        r = try await gw.requestJSON("POST", "/rules/rest_rule", body: Self.payload("SELECT seq FROM 'devices/+/telemetry'"))
        XCTAssertEqual(r.status, 409)
        XCTAssertEqual(r.json["code"], "ResourceAlreadyExistsException")

        r = try await gw.requestJSON("GET", "/rules/rest_rule")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json["rule"]?["ruleName"], "rest_rule")
        XCTAssertEqual(r.json["rule"]?["sql"], "SELECT seq FROM 'devices/+/telemetry'")
        XCTAssertEqual(r.json["rule"]?["ruleDisabled"], false)
        XCTAssertEqual(r.json["rule"]?["actions"], [["republish": ["topic": "devices/${topic(2)}/rest", "qos": 1]]])
        XCTAssertEqual(r.json["ruleArn"], "arn:aws:iot:local:000000000000:rule/rest_rule")
        XCTAssertEqual(r.json["source"]?["type"], "api")

        try await send(1)
        var got = try await inbox.wait(for: "devices/pump-0005/rest")
        XCTAssertEqual(got.last, ["seq": 1])

        r = try await gw.requestJSON("GET", "/rules")
        let names = r.json["rules"]?.arrayValue?.compactMap { $0["ruleName"]?.stringValue }
        XCTAssertEqual(names, ["from_file", "rest_rule"])
        XCTAssertEqual(r.json["rules"]?.arrayValue?.first?["source"]?["type"], "file")
        XCTAssertEqual(r.json["rules"]?.arrayValue?.last?["topicPattern"], "devices/+/telemetry")

        r = try await gw.requestJSON(
            "PATCH", "/rules/rest_rule", body: Self.payload("SELECT seq, 'replaced' AS how FROM 'devices/+/telemetry'"))
        XCTAssertEqual(r.status, 200)
        try await send(2)
        got = try await inbox.wait(for: "devices/pump-0005/rest", count: 2)
        XCTAssertEqual(got.last, ["seq": 2, "how": "replaced"])

        r = try await gw.requestJSON("POST", "/rules/rest_rule/disable")
        XCTAssertEqual(r.status, 200)
        let r1 = try await gw.requestJSON("GET", "/rules/rest_rule")
        XCTAssertEqual(r1.json["rule"]?["ruleDisabled"], true)
        try await send(3)
        try await Task.sleep(for: .milliseconds(400))
        XCTAssertEqual(inbox.count("devices/pump-0005/rest"), 2, "a disabled rule does not fire")
        r = try await gw.requestJSON("POST", "/rules/rest_rule/enable")
        XCTAssertEqual(r.status, 200)
        try await send(4)
        got = try await inbox.wait(for: "devices/pump-0005/rest", count: 3)
        XCTAssertEqual(got.last?["seq"], 4)

        // Stored in SQLite: a restart keeps the rule and its state.
        await device.disconnect()
        try await gw.stop()
        let again = try await TestGateway.start(dataDirectory: gw.dataDirectory)
        defer { Task { try? await again.stop() } }
        r = try await again.requestJSON("GET", "/rules/rest_rule")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json["rule"]?["sql"], "SELECT seq, 'replaced' AS how FROM 'devices/+/telemetry'")

        r = try await again.requestJSON("DELETE", "/rules/rest_rule")
        XCTAssertEqual(r.status, 200)
        let r2 = try await again.request("GET", "/rules/rest_rule")
        XCTAssertEqual(r2.status, 404)
        let r3 = try await again.request("DELETE", "/rules/rest_rule")
        XCTAssertEqual(r3.status, 404)
    }

    func testFileRulesAreReadOnlyAndBadInputIsRefused() async throws {
        let gw = try await TestGateway.start(ruleFiles: ["file.yaml": Self.fileRule])
        defer { Task { try? await gw.stop() } }
        var r = try await gw.requestJSON("GET", "/rules/from_file")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json["source"]?["type"], "file")
        XCTAssertEqual(r.json["source"]?["file"]?.stringValue?.hasSuffix("file.yaml"), true)

        for (method, path) in [
            ("PATCH", "/rules/from_file"), ("DELETE", "/rules/from_file"), ("POST", "/rules/from_file/disable"),
            ("POST", "/rules/from_file/enable"), ("POST", "/rules/from_file"),
        ] {
            r = try await gw.requestJSON(method, path, body: Self.payload("SELECT * FROM 'a/b'"))
            XCTAssertEqual(r.status, 409, "\(method) \(path)")
            XCTAssertEqual(r.json["message"]?.stringValue?.contains("edit that file"), true, "\(method) \(path): \(r.json)")
        }

        r = try await gw.requestJSON("POST", "/rules/bad_sql", body: Self.payload("SELECT temp FROM 'a/b' WHERE temp >"))
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.json["code"], "SqlParseException")
        XCTAssertEqual(r.json["message"]?.stringValue?.contains("1:36"), true, "\(r.json)")

        r = try await gw.requestJSON("POST", "/rules/bad_action", body: ["sql": "SELECT * FROM 'a/b'", "actions": [["lambda": [:]]]])
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.json["message"]?.stringValue?.contains("lambda"), true, "\(r.json)")

        r = try await gw.requestJSON("POST", "/rules/bad-name", body: Self.payload("SELECT * FROM 'a/b'"))
        XCTAssertEqual(r.status, 400)
        let r4 = try await gw.request("POST", "/rules/not_json", body: Array("{".utf8))
        XCTAssertEqual(r4.status, 400)
        let r5 = try await gw.request("PATCH", "/rules/missing", body: Self.payload("SELECT * FROM 'a/b'").serializedBytes())
        XCTAssertEqual(r5.status, 404)
        let r6 = try await gw.request("POST", "/rules/missing/enable")
        XCTAssertEqual(r6.status, 404)
        let r7 = try await gw.request("GET", "/rules", authenticated: false)
        XCTAssertEqual(r7.status, 401)
    }
}
