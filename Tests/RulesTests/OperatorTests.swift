import IoTCore
import XCTest

@testable import Rules

/// The operator tables of https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html
/// and the conversions of iot-sql-data-types.html, including Undefined propagation.
final class OperatorTests: XCTestCase {
    func check(_ rows: [(String, JSONValue?)], payload: String = #"{"s":"5","t":"true","o":{"a":1,"b":[1,2]},"n":null}"#, file: StaticString = #filePath, line: UInt = #line) {
        for (expression, expected) in rows {
            do {
                let v = try Fixture.eval(expression, payload)
                XCTAssertEqual(v, expected, expression, file: file, line: line)
            } catch {
                XCTFail("\(expression): \(error)", file: file, line: line)
            }
        }
    }

    func testLogic() {
        check([
            ("true AND false", false), ("true AND 'TRUE'", true), ("t AND true", true), ("1 AND true", nil),
            ("false OR true", true), ("'false' OR 'False'", false), ("missing OR true", nil),
            ("NOT false", true), ("NOT 'true'", false), ("NOT 5", nil), ("NOT missing", nil),
        ])
    }

    func testComparison() {
        check([
            ("5 > 3", true), ("3 >= 3", true), ("2.5 < 3", true), ("s > 4", true), ("s <= '4.5'", false),
            ("'a' > 'b'", nil), ("missing > 1", nil), ("true > 1", nil), ("9007199254740993 > 9007199254740992", true),
        ])
    }

    func testEquality() {
        check([
            ("1 = 1", true), ("1 = 1.0", true), ("'a' = 'a'", true), ("'5' = 5", false), ("s = '5'", true),
            ("[1, 2] = [1, 2]", true), ("[1, 2] = [2, 1]", false), ("o = {'b': [1, 2], 'a': 1}", true),
            ("o = {'a': 1}", false), ("n = null", true), ("null <> null", false), ("missing = 1", nil), ("1 <> missing", nil),
            ("1 <> 'x'", true), ("1 != 2", true), ("true = 'true'", false),
        ])
    }

    /// Int with Int stays Int; any Decimal makes a Decimal; `+` concatenates when a String is involved.
    func testArithmetic() {
        check([
            ("5 / 2", 2), ("5.0 / 2", 2.5), ("-7 / 2", -3), ("7 % 3", 1), ("-7 % 3", -1), ("7.5 % 2", 1.5),
            ("2 * 3", 6), ("2 * 1.5", 3), ("1.5 + 1.25", 2.75), ("'2' - 1", 1), ("s * 2", 10), ("'x' * 2", nil),
            ("1 / 0", nil), ("1 - missing", nil), ("-s", -5), ("- -3", 3),
            ("'a' + 1", "a1"), ("1 + 'a'", "1a"), ("'n' + [1, 'x']", #"n[1,"x"]"#), ("'a' + null", nil),
            ("'a' + missing", nil), ("s + 1", "51"), ("1 + true", nil), ("9223372036854775807 + 1", 9.223372036854775808e18),
        ])
    }

    func testPrecedenceAndGrouping() {
        check([
            ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("NOT 1 = 2 AND true", true),
            ("true OR false AND false", true), ("2 IN [1, 2]", true), ("'z' IN ['a']", false), ("1 IN 5", nil),
        ])
    }

    func testPathsAndIndexes() {
        let p = #"{"a":{"b":[{"c":1},{"c":2}]},"arr":[10,20,30]}"#
        check([
            ("a.b[1].c", 2), ("a.b[5].c", nil), ("a.x.y", nil), ("arr[0]", 10), ("arr[1 + 1]", 30), ("arr[-1]", nil),
            ("a['b'][0].c", 1), ("arr.x", nil), ("[1,2,3][2]", 3),
        ], payload: p)
    }

    func testSearchedCaseAndCaseUndefined() {
        check([
            ("CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END", "b"), ("CASE WHEN false THEN 1 END", nil),
            ("CASE missing WHEN 1 THEN 'x' ELSE 'y' END", nil), ("CASE 2 WHEN 1 THEN 'x' WHEN 2.0 THEN 'two' END", "two"),
        ])
    }

    func testUndefinedIsOmittedFromOutput() throws {
        XCTAssertEqual(
            try Fixture.run("SELECT a, missing, a.b AS nested, [a, missing] AS arr, {'k': missing} AS obj FROM 'topic/subtopic'", #"{"a":1}"#),
            .fired(json(#"{"a":1,"arr":[1],"obj":{}}"#)))
    }

    func testDefaultOutputNames() throws {
        XCTAssertEqual(
            try Fixture.run("SELECT a.b, upper(c), 1 + 1, arr[0] FROM 'topic/subtopic'", #"{"a":{"b":1},"c":"x","arr":[7]}"#),
            .fired(json(#"{"b":1,"upper":"X","_3":2,"arr":7}"#)))
    }

    func testWhereUsesBooleanTruth() throws {
        XCTAssertEqual(try Fixture.run("SELECT * FROM 'topic/subtopic' WHERE flag", #"{"flag":"TRUE"}"#), .fired(["flag": "TRUE"]))
        XCTAssertEqual(try Fixture.run("SELECT * FROM 'topic/subtopic' WHERE flag", #"{"flag":1}"#), .notMatched(.whereNotTrue))
        XCTAssertEqual(try Fixture.run("SELECT * FROM 'topic/subtopic' WHERE x > 1 AND y < 2", #"{"y":1}"#), .notMatched(.whereNotTrue))
    }

    func testKeywordsAndFunctionsAreCaseInsensitive() throws {
        XCTAssertEqual(
            try Fixture.run("select Upper(c) as u from 'topic/subtopic' where C <> 'y' and TRUE", #"{"c":"x","C":"x"}"#),
            .fired(["u": "X"]))
    }

    func testDecodeOfUndefinedIsUndefined() {
        check([("decode(missing, 'base64')", nil), ("decode(5, 'base64')", .null)])
    }

    func testResultSizeLimit() throws {
        let big = String(repeating: "x", count: 200_000)
        let outcome = try Fixture.run("SELECT s FROM 'topic/subtopic'", #"{"s":"\#(big)"}"#)
        XCTAssertThrowsError(try outcome.payload())
        XCTAssertEqual(try outcome.payload(limit: 300_000)?.count, 200_008)
    }
}
