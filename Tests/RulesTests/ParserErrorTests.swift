import XCTest

@testable import Rules

/// Syntax errors come back as RuleSQLError with the line and column of the offending token.
final class ParserErrorTests: XCTestCase {
    func error(_ sql: String) -> RuleSQLError? {
        do {
            _ = try CompiledRule(sql: sql)
            return nil
        } catch {
            return error
        }
    }

    func testErrorPositions() {
        let rows: [(String, Int, Int, String)] = [
            ("SELECT FROM 't'", 1, 8, "keyword FROM"),
            ("SELECT a FROM t", 1, 15, "single quotes"),
            ("SELECT a FROM 'a/#/b'", 1, 15, "not a valid MQTT topic filter"),
            ("SELECT a, FROM 't'", 1, 11, "keyword FROM"),
            ("SELECT a FROM 't' WHERE", 1, 24, "ends where an expression"),
            ("SELECT (a + 1 FROM 't'", 1, 15, "')'"),
            ("SELECT a\nFROM 't'\nWHERE b = 'x", 3, 11, "closing quote"),
            ("SELECT a FROM 't' WHERE b = 1 c", 1, 31, "after the end"),
            ("SELECT nofunc(a) FROM 't'", 1, 8, "Unknown function 'nofunc'"),
            ("SELECT abs(1, 2) FROM 't'", 1, 8, "takes 1 argument, but 2 were given"),
            ("SELECT aws_lambda('x', *) FROM 't'", 1, 8, "needs an AWS service"),
            ("SELECT cast(a AS Widget) FROM 't'", 1, 18, "not a cast type"),
            ("SELECT CASE a ELSE 1 END FROM 't'", 1, 15, "at least one WHEN"),
            ("SELECT a FROM 't' WHERE a = #", 1, 29, "character '#'"),
            ("  SELECT a.1 FROM 't'", 1, 12, "member name"),
            ("SELECT 12abc FROM 't'", 1, 8, "must not run into a name"),
            ("SELECT * + 1 FROM 't'", 1, 10, "Expected ',' or FROM"),
            ("", 1, 1, "Expected SELECT"),
        ]
        for (sql, line, column, text) in rows {
            guard let e = error(sql) else {
                XCTFail("\(sql): expected an error")
                continue
            }
            XCTAssertEqual(e.line, line, "\(sql): \(e)")
            XCTAssertEqual(e.column, column, "\(sql): \(e)")
            XCTAssertTrue(e.message.contains(text), "\(sql): \(e.message)")
            XCTAssertTrue(e.message.hasSuffix("."), "messages are sentences: \(e.message)")
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = "SELECT " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " FROM 't'"
        XCTAssertTrue(error(deep)?.message.contains("nests deeper") == true)
        let negations = "SELECT " + String(repeating: "- ", count: 5000) + "1 FROM 't'"
        XCTAssertNotNil(error(negations))
        let nots = "SELECT * FROM 't' WHERE " + String(repeating: "NOT ", count: 5000) + "true"
        XCTAssertNotNil(error(nots))
    }

    func testQuotingAndEscapes() throws {
        XCTAssertEqual(try Fixture.eval(#"'it''s'"#), "it's")
        XCTAssertEqual(try Fixture.eval(#"'it\'s'"#), "it's")
        XCTAssertEqual(try Fixture.eval(#""say \"hi\"""#), #"say "hi""#)
        XCTAssertEqual(try Fixture.eval(#"'\d+'"#), #"\d+"#)
        XCTAssertEqual(try Fixture.eval("`my field`", #"{"my field":3}"#), 3)
    }
}
