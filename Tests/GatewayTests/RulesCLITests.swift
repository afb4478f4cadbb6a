import Foundation
import GatewayTesting
import IoTCore
import XCTest

/// `iotgw rules check` and `iotgw rules test`: output formats and exit codes (issue 5).
final class RulesCLITests: XCTestCase {
    func iotgw(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runIoTGWResult(arguments)
    }

    func testCheckReportsFileLineColumnWithCaretAndExitCode() throws {
        let dir = try makeTemporaryDirectory(prefix: "iotgw-rules-check")
        try """
            name: good
            sql: "SELECT * FROM 'a/+'"
            actions:
              - republish: { topic: "b/${topic(2)}" }
            """.write(toFile: dir + "/good.yaml", atomically: true, encoding: .utf8)
        var r = try iotgw(["rules", "check", dir])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "")

        try """
            name: good
            sql: "SELECT * FROM 'a/+' WHERE"
            actions: []
            """.write(toFile: dir + "/z_bad.yaml", atomically: true, encoding: .utf8)
        r = try iotgw(["rules", "check", dir])
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "\(dir)/z_bad.yaml:2:32: error: Invalid SQL: The statement ends where an expression is expected.")
        XCTAssertEqual(lines.dropFirst().first, #"sql: "SELECT * FROM 'a/+' WHERE""#)
        XCTAssertEqual(lines.dropFirst(2).first, String(repeating: " ", count: 31) + "^")

        // The shipped examples are valid.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        r = try iotgw(["rules", "check", root.appendingPathComponent("rules").path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    }

    func testTestExitCodesAndOutput() throws {
        let sql = "SELECT temp, topic(2) AS id, clientid() AS c FROM 'd/+/t' WHERE temp > 50"
        var r = try iotgw(["rules", "test", "--sql", sql, "--topic", "d/x/t", "--payload", #"{"temp":60}"#, "--client-id", "dev1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try JSONValue.parse(r.stdout), ["temp": 60, "id": "x", "c": "dev1"])

        r = try iotgw(["rules", "test", "--sql", sql, "--topic", "d/x/t", "--payload", #"{"temp":40}"#])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("WHERE"), r.stderr)

        r = try iotgw(["rules", "test", "--sql", sql, "--topic", "e/x/t", "--payload", #"{"temp":60}"#])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("does not match"), r.stderr)

        r = try iotgw(["rules", "test", "--sql", "SELECT temp FROM 'd/+/t' WHERE", "--topic", "d/x/t", "--payload", "{}"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("1:31"), r.stderr)

        r = try iotgw(["rules", "test", "--sql", sql, "--topic", "d/x/t", "--payload", "{not json"])
        XCTAssertEqual(r.status, 1)

        r = try iotgw(["rules", "test", "--sql", "SELECT VALUE temp FROM 'd/+/t'", "--topic", "d/x/t", "--payload", #"{"temp":7}"#])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "7")

        let dir = try makeTemporaryDirectory(prefix: "iotgw-rules-test")
        try "name: hot\nsql: \"SELECT temp FROM 'd/+/t' WHERE temp > 50\"\nactions: []\n".write(
            toFile: dir + "/hot.yaml", atomically: true, encoding: .utf8)
        r = try iotgw(["rules", "test", "--rule", "hot", "--rules", dir, "--topic", "d/x/t", "--payload", #"{"temp":51}"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try JSONValue.parse(r.stdout), ["temp": 51])
        r = try iotgw(["rules", "test", "--rule", "nope", "--rules", dir, "--topic", "d/x/t", "--payload", "{}"])
        XCTAssertEqual(r.status, 1)
    }
}
