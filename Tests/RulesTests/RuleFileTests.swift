import Foundation
import IoTCore
import XCTest

@testable import Rules

/// Rule files: loading, each kind of error at its file:line:col, duplicates across files.
final class RuleFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func diagnostics(_ text: String, file: String = "r.yaml") -> [RuleDiagnostic] {
        RuleFileLoader().load(text: text, file: file).diagnostics
    }

    func testValidSingleRuleAndList() throws {
        let single = try write(
            "overheat.yaml",
            """
            name: overheat
            description: Hot pumps
            sql: "SELECT topic(2) AS device, temp FROM 'devices/+/telemetry' WHERE temp > 80"
            actions:
              - republish: { topic: "alerts/${topic(2)}", qos: 1 }
            errorAction:
              republish: { topic: "errors" }
            """)
        try write(
            "more.yml",
            """
            - name: a_rule
              sql: SELECT * FROM 'a/#'
              enabled: false
            - name: b_rule
              sql: |
                SELECT *
                FROM 'b/#'
              awsIotSqlVersion: "2016-03-23"
            """)
        try write("notes.txt", "not a rule")
        let result = RuleFileLoader().load(paths: [dir.path])
        XCTAssertEqual(result.diagnostics, [])
        XCTAssertEqual(result.rules.map(\.name), ["a_rule", "b_rule", "overheat"])
        let overheat = result.rules[2]
        XCTAssertEqual(overheat.location, SourceLocation(file: single, line: 1, column: 1))
        XCTAssertEqual(overheat.actions.first?.kind, "republish")
        XCTAssertEqual(overheat.actions.first?.parameters["qos"], 1)
        XCTAssertEqual(overheat.errorActions.count, 1)
        XCTAssertTrue(overheat.enabled)
        XCTAssertFalse(result.rules[0].enabled)
        let republish = try RepublishAction(overheat.actions[0].parameters)
        XCTAssertEqual(try republish.topic.render(RuleMessage(topic: "devices/p1/telemetry", payload: [:])), "alerts/p1")
        XCTAssertEqual(
            try overheat.rule.evaluate(RuleMessage(topic: "devices/p1/telemetry", payload: ["temp": 90])),
            .fired(["device": "p1", "temp": 90]))
    }

    func testErrorsCarryFileLineAndColumn() {
        let rows: [(String, Int, Int, String)] = [
            ("name: x\nsql: SELECT * FROM 'a'\nactions: [\n", 4, 1, "not valid YAML"),
            ("sql: SELECT * FROM 'a'\n", 1, 1, "has no 'name'"),
            ("name: bad-name\nsql: SELECT * FROM 'a'\n", 1, 7, "letters, digits and underscores"),
            ("name: x\nsql: SELECT * FROM 'a'\ncolour: red\n", 3, 1, "Unknown rule field 'colour'"),
            ("name: x\nsql: SELECT * FROM 'a'\nawsIotSqlVersion: '2015-10-08'\n", 3, 19, "not supported"),
            ("name: x\nsql: SELECT * FROM 'a'\nactions:\n  - email: {to: me}\n", 4, 5, "known kinds are republish"),
            ("name: x\nsql: SELECT * FROM 'a'\nactions:\n  - republish: {qos: 1}\n", 4, 5, "needs a 'topic'"),
            ("name: x\nsql: SELECT * FROM 'a'\nactions:\n  - republish: {topic: t, qos: 2}\n", 4, 32, "must be 0 or 1"),
            ("name: x\nsql: SELECT * FROM 'a'\nactions:\n  - republish: {topic: t, qs: 1}\n", 4, 27, "no parameter 'qs'"),
            ("name: x\nsql: SELECT * FROM 'a'\nactions:\n  - republish: {topic: \"out/${topic(}\"}\n", 4, 37, "In the substitution"),
            ("name: x\nsql: SELECT * FROM 'a'\nenabled: maybe\n", 3, 10, "true or false"),
            ("name: x\nsql: SELECT a FROM 'a' WHERE b = = 1\n", 2, 34, "Invalid SQL"),
            ("name: x\nsql: \"SELECT a FROM 'a' WHERE b = = 1\"\n", 2, 35, "Invalid SQL"),
            ("name: x\nsql: 'SELECT a FROM ''a'' WHERE b = = 1'\n", 2, 37, "Invalid SQL"),
            ("name: x\nsql: |\n  SELECT a\n  FROM 'a'\n  WHERE b = = 1\n", 5, 13, "Invalid SQL"),
            ("name: x\nsql: >\n  SELECT a\n  FROM 'a' WHERE b = = 1\n", 4, 22, "Invalid SQL"),
            ("- name: x\n  sql: SELECT nope( FROM 'a'\n", 2, 21, "Invalid SQL"),
        ]
        for (text, line, column, message) in rows {
            let d = diagnostics(text)
            guard let first = d.first else {
                XCTFail("expected an error for:\n\(text)")
                continue
            }
            XCTAssertEqual(first.file, "r.yaml")
            XCTAssertEqual(first.line, line, "\(text)\n\(d.formatted())")
            XCTAssertEqual(first.column, column, "\(text)\n\(d.formatted())")
            XCTAssertTrue(first.message.contains(message), "\(text)\n\(first.message)")
        }
    }

    func testTooManyActions() {
        let actions = (0..<11).map { "  - republish: {topic: t\($0)}" }.joined(separator: "\n")
        let d = diagnostics("name: x\nsql: SELECT * FROM 'a'\nactions:\n\(actions)\n")
        XCTAssertEqual(d.first?.line, 4)
        XCTAssertTrue(d.first?.message.contains("at most 10 actions") == true)
    }

    func testDuplicateNamesAcrossFilesNameBothFiles() throws {
        let first = try write("a.yaml", "name: same\nsql: SELECT * FROM 'a'\n")
        let second = try write("b.yaml", "description: dup\nname: same\nsql: SELECT * FROM 'b'\n")
        let result = RuleFileLoader().load(paths: [first, second])
        XCTAssertEqual(result.rules.count, 1)
        XCTAssertEqual(result.diagnostics.count, 1)
        let d = result.diagnostics[0]
        XCTAssertEqual(d.file, second)
        XCTAssertTrue(d.message.contains(first) && d.message.contains(second), d.message)
    }

    func testBrokenRuleDoesNotHideGoodOnesAndIsNamed() {
        let result = RuleFileLoader().load(
            text: "- name: good\n  sql: SELECT * FROM 'a'\n- name: bad\n  sql: SELECT FROM\n", file: "r.yaml")
        XCTAssertEqual(result.rules.map(\.name), ["good"])
        XCTAssertEqual(result.failedRuleNames, ["bad"])
        XCTAssertEqual(result.diagnostics.first?.ruleName, "bad")
    }

    func testRegistryAcceptsKindsTheGatewayAdds() {
        var registry = ActionRegistry.standard
        registry.register("store") { p in p["table"] == nil ? [ActionIssue("The store action needs a 'table' parameter.")] : [] }
        let loader = RuleFileLoader(registry: registry)
        XCTAssertEqual(loader.load(text: "name: x\nsql: SELECT * FROM 'a'\nactions:\n  - store: {table: t}\n", file: "r").diagnostics, [])
        let d = loader.load(text: "name: x\nsql: SELECT * FROM 'a'\nactions:\n  - store: {}\n", file: "r").diagnostics
        XCTAssertEqual(d.map(\.line), [4])
        XCTAssertTrue(diagnostics("name: x\nsql: SELECT * FROM 'a'\nactions:\n  - store: {}\n").first!.message.contains("known kinds are republish"))
    }

    func testCheckerFormatsWithCaret() throws {
        let path = try write("bad.yaml", "name: x\nsql: SELECT a FROM 'a' WHERE b = = 1\n")
        let d = RuleFileChecker.check(paths: [path])
        XCTAssertEqual(
            d.formatted(),
            """
            \(path):2:34: error: Invalid SQL: Expected an expression, found '='.
            sql: SELECT a FROM 'a' WHERE b = = 1
                                             ^
            """)
        XCTAssertTrue(d.hasErrors)
        XCTAssertEqual(RuleFileChecker.check(paths: [dir.appendingPathComponent("none.yaml").path]).first?.message, "No such file or folder.")
    }

    func testJSONTopicRulePayloadLoadsWithAName() {
        let result = RuleFileLoader().load(
            text: #"{"sql": "SELECT * FROM 'a/b'", "ruleDisabled": true, "actions": [{"republish": {"topic": "c"}}]}"#,
            file: "REST", name: "from_rest")
        XCTAssertEqual(result.diagnostics, [])
        XCTAssertEqual(result.rules.first?.name, "from_rest")
        XCTAssertEqual(result.rules.first?.enabled, false)
    }

    func testRuleTesterExitCodes() {
        let fired = RuleTester.run(sql: "SELECT temp, topic(2) AS id FROM 'd/+/t' WHERE temp > 50", topic: "d/x/t", payload: #"{"temp":60}"#)
        XCTAssertEqual(fired.exitCode, 0)
        XCTAssertEqual(fired.standardOutput, #"{"temp":60,"id":"x"}"#)
        let whereFalse = RuleTester.run(sql: "SELECT * FROM 'd/+/t' WHERE temp > 50", topic: "d/x/t", payload: #"{"temp":1}"#)
        XCTAssertEqual(whereFalse.exitCode, 2)
        XCTAssertTrue(whereFalse.standardError.contains("WHERE"))
        let mismatch = RuleTester.run(sql: "SELECT * FROM 'd/+/t'", topic: "e/x/t", payload: "{}")
        XCTAssertEqual(mismatch.exitCode, 2)
        XCTAssertTrue(mismatch.standardError.contains("does not match"))
        let badSQL = RuleTester.run(sql: "SELECT * FROM", topic: "t", payload: "{}")
        XCTAssertEqual(badSQL.exitCode, 1)
        XCTAssertTrue(badSQL.standardError.hasPrefix("sql:1:14: error:"), badSQL.standardError)
        XCTAssertEqual(RuleTester.run(sql: "SELECT * FROM 't'", topic: "t", payload: "{nope").exitCode, 1)
        XCTAssertEqual(RuleTester.run(sql: "SELECT VALUE 5 FROM 't'", topic: "t", payload: "{}").standardOutput, "5")
    }
}
