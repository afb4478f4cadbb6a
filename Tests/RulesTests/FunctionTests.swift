import IoTCore
import XCTest

@testable import Rules

/// The examples of https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html,
/// one row per documented example: expression and its documented value (nil = Undefined).
final class FunctionTests: XCTestCase {
    func check(_ rows: [(String, JSONValue?)], payload: String = "{}", file: StaticString = #filePath, line: UInt = #line) {
        for (expression, expected) in rows {
            do {
                assertSameJSON(try Fixture.eval(expression, payload), expected, expression, file: file, line: line)
            } catch {
                XCTFail("\(expression): \(error)", file: file, line: line)
            }
        }
    }

    func testMath() {
        check([
            ("abs(-5)", 5), ("abs('-5.123')", 5.123), ("abs(true)", nil),
            ("acos(0)", 1.5707963267948966), ("asin(0)", 0), ("atan(0)", 0), ("atan2(1, 0)", 1.5707963267948966),
            ("acos(2)", nil),
            ("ceil(1.2)", 2), ("ceil(-1.2)", -1), ("floor(1.2)", 1), ("floor(-1.2)", -2),
            ("cos(0)", 1), ("cosh(2.3)", 5.037220649268761), ("exp(1)", .double(M_E)), ("ln(exp(1))", 1),
            ("log(100)", 2), ("mod(8, 3)", 2), ("remainder(8, 3)", 2), ("nanvl(8, 3)", 8), ("nanvl(undefinedField, 3)", 3),
            ("power(2, 5)", 32), ("round(1.2)", 1), ("round(1.5)", 2), ("round(1.7)", 2), ("round(-1.1)", -1),
            ("round(-1.5)", -2), ("sign(-7)", -1), ("sign(0)", 0), ("sign(13)", 1), ("sin(0)", 0),
            ("sinh(2.3)", 4.936961805545957), ("sqrt(9)", 3), ("tan(3)", -0.1425465430742778),
            ("tanh(2.3)", 0.9800963962661914), ("trunc(2.3, 0)", 2), ("trunc(2.3123, 2)", 2.31), ("trunc(2.888, 2)", 2.88),
            ("trunc(2.00, 5)", 2), ("trunc(0.29, 2)", 0.29), ("trunc(-2.888, 1)", -2.8),
        ])
    }

    /// bitnot(13) is documented as 2, which no two's-complement NOT gives; AWS runs on Java,
    /// where ~13 is -14, so that is what is tested. bitxor's example is printed as bitor(13, 5) = 8.
    func testBitwise() {
        check([("bitand(13, 5)", 5), ("bitor(8, 5)", 13), ("bitxor(13, 5)", 8), ("bitnot(13)", -14), ("bitand('13', 5.7)", 5), ("bitand('x', 5)", nil)])
    }

    func testStrings() {
        check([
            ("chr(65)", "A"), ("chr(49)", "1"), ("chr(300)", nil),
            ("concat()", nil), ("concat(1)", "1"), ("concat([1, 2, 3], 4)", [1, 2, 3, 4]),
            (#"concat([1, 2, 3], "hello")"#, [1, 2, 3, "hello"]), (#"concat("con", "cat")"#, "concat"),
            (#"concat(1, "hello")"#, "1hello"), (#"concat("he","is","man")"#, "heisman"),
            (#"concat([1, 2, 3], "hello", [4, 5, 6])"#, [1, 2, 3, "hello", 4, 5, 6]),
            (#"endswith("cat","at")"#, true), (#"endswith(null,"at")"#, nil), (#"startswith("ranger","ran")"#, true),
            (#"indexof("abcd", "bc")"#, 1), (#"length("hi")"#, 2), ("length(false)", 5),
            (#"lower("HELLO")"#, "hello"), (#"lower(["HELLO"])"#, #"["hello"]"#),
            (#"lpad("hello", 2)"#, "  hello"), ("lpad(1, 3)", "   1"), (#"rpad("hello", 2)"#, "hello  "), ("rpad(1, 3)", "1   "),
            (#"lpad("x", 5000)"#, .string(String(repeating: " ", count: 1000) + "x")),
            (#"ltrim(" h i ")"#, "h i "), (#"rtrim(" h i ")"#, " h i"), (#"trim(" hi ")"#, "hi"),
            (#"numbytes("hi")"#, 2), (#"numbytes("€")"#, 3),
            (#"replace("abcd", "bc", "x")"#, "axd"), (#"replace("abcdabcd", "b", "x")"#, "axcdaxcd"),
            (#"substring("012345", 0)"#, "012345"), (#"substring("012345", 2)"#, "2345"),
            (#"substring("012345", 2.745)"#, "2345"), ("substring(123, 2)", "3"), (#"substring("012345", -1)"#, "012345"),
            ("substring(true, 1.2)", "rue"), ("substring(false, -2.411E247)", "false"), (#"substring("012345", 1, 3)"#, "12"),
            (#"substring("012345", -50, 50)"#, "012345"), (#"substring("012345", 3, 1)"#, ""),
            (#"upper("hello")"#, "HELLO"), (#"upper(["hello"])"#, #"["HELLO"]"#),
        ])
    }

    func testRegularExpressions() {
        check([
            (#"regexp_matches("aaaa", "a{2,}")"#, true), (#"regexp_matches("aaaa", "b")"#, false),
            (#"regexp_replace("abcd", "bc", "x")"#, "axd"), (#"regexp_replace("abcd", "b(.*)d", "$1")"#, "ac"),
            (#"regexp_substr("hihihello", "hi")"#, "hi"), (#"regexp_substr("hihihello", "(hi)*")"#, "hihi"),
            (#"regexp_matches("abc", "(")"#, nil), (#"regexp_matches("a1", '\d')"#, true),
        ])
    }

    /// A catastrophic pattern is stopped at the time budget and reported, not left running.
    func testRegexTimeBudget() {
        let start = Date()
        XCTAssertThrowsError(try Fixture.eval(#"regexp_matches(s, "(a+)+b")"#, #"{"s":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#)) { error in
            XCTAssertTrue((error as? RuleEvaluationError)?.message.contains("took longer") == true, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        let long = String(repeating: "x", count: RegexFunctions.maxInputLength + 1)
        XCTAssertThrowsError(try Fixture.eval(#"regexp_matches(s, "x")"#, #"{"s":"\#(long)"}"#))
    }

    /// The page's example for get documents get("abc", 1) = "a"; a 0-based index 1 is "b",
    /// as the same page's table says, so "b" is tested.
    func testTypesAndCollections() {
        check([
            ("cast(true as Int)", 1), ("cast('5.7' as Int)", 5), ("cast(0 as Boolean)", false), ("cast(2 as Bool)", true),
            ("cast('TRUE' as Boolean)", true), ("cast(1.5 as String)", "1.5"), ("cast([1,'a'] as String)", #"[1,"a"]"#),
            ("cast(null as String)", nil), ("cast('x' as Decimal)", nil), ("cast(false as Double)", 0),
            ("isNull(5)", false), ("isNull(Null)", true), ("isNull(missing)", false), ("isUndefined(5)", false),
            ("isUndefined(floor([1,2,3]))", true),
            (#"get(["a", "b", "c"], 1)"#, "b"), (#"get({"a":"b"}, "a")"#, "b"), (#"get("abc", 1)"#, "b"), (#"get("abc", 7)"#, nil),
            ("get_or_default(missing, 'd')", "d"), ("get_or_default(null, 'd')", "d"), ("get_or_default(5, 'd')", 5),
            ("encode('hello', 'base64')", "aGVsbG8="), ("decode('aGVsbG8=', 'base64')", "hello"), ("decode('!!', 'base64')", .null),
            ("encode('hello', 'hex')", nil),
        ])
    }

    func testHashes() {
        check([
            (#"md2("hello")"#, "a9046c73e00331af68917d3804f70655"), (#"md5("hello")"#, "5d41402abc4b2a76b9719d911017c592"),
            (#"sha1("hello")"#, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
            (#"sha224("hello")"#, "ea09ae9cc6768c50fcee903ed054556e5bfc8347907f12598aa24193"),
            (#"sha256("hello")"#, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            (#"sha224("")"#, "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f"),
            (#"md2("")"#, "8350e5a3e24c153df2275c9f80692773"),
            (#"md5(null)"#, nil),
        ])
        XCTAssertEqual((try? Fixture.eval(#"sha384("hello")"#))??.stringValue?.count, 96)
        XCTAssertEqual((try? Fixture.eval(#"sha512("hello")"#))??.stringValue?.count, 128)
    }

    func testTime() {
        check([
            (#"parse_time("yyyy.MM.dd G 'at' HH:mm:ss z", 100000000, 'America/Belize')"#, "1970.01.01 AD at 21:46:40 CST"),
            ("parse_time('yyyy', 1481825251155, 'UTC')", "2016"),
            ("parse_time('yyyy-MM-dd', 0)", "1970-01-01"),
            (#"time_to_epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV")"#, 1_585_903_518_000),
            (#"time_to_epoch("18 December 2015", "dd MMMM yyyy")"#, 1_450_396_800_000),
            (#"time_to_epoch("2007-12-03 10:15:30.592 America/Los_Angeles", "yyyy-MM-dd HH:mm:ss.SSS VV")"#, 1_196_705_730_592),
            ("timestamp()", 1_481_825_251_155),
        ])
    }

    func testContext() {
        check([
            ("topic()", "things/myThings/thingOne"), ("topic(1)", "things"), ("topic(3)", "thingOne"), ("topic(4)", nil),
            ("topic(0)", nil), ("topic(1 + 1)", "myThings"), ("clientid()", "client-1"), ("principal()", "principal-1"),
            ("traceid()", "trace-1"), ("sql_version()", "2016-03-23"),
        ])
        XCTAssertEqual((try? Fixture.eval("newuuid()"))??.stringValue?.count, 36)
        let m = RuleMessage(topic: "t", payload: .object([:]))
        XCTAssertEqual(try CompiledRule(sql: "SELECT clientid() AS c FROM 't'").evaluate(m), .fired(["c": "n/a"]))
    }

    func testShadowAndTableHooks() throws {
        let env = RuleEnvironment(
            getThingShadow: { thing, shadow in
                thing == "MyThing" ? ["state": ["reported": ["alarm": .string(shadow ?? "classic")]]] : nil
            },
            getTable: { table, keys in table == "devices" && keys == ["pump-1"] ? ["location": "hall"] : nil })
        func run(_ sql: String) throws -> RuleOutcome { try Fixture.run(sql, #"{"id":"pump-1"}"#, environment: env) }
        XCTAssertEqual(
            try run(#"SELECT * from 'topic/subtopic' WHERE get_thing_shadow("MyThing","MyThingShadow","arn:aws:iam::1:role/r").state.reported.alarm = 'MyThingShadow'"#),
            .fired(["id": "pump-1"]))
        XCTAssertEqual(
            try run(#"SELECT get_thing_shadow("MyThing","arn:aws:iam::1:role/r").state.reported.alarm AS a FROM 'topic/subtopic'"#),
            .fired(["a": "classic"]))
        XCTAssertEqual(try run("SELECT get_table('devices', id).location AS loc FROM 'topic/subtopic'"), .fired(["loc": "hall"]))
        let failing = RuleEnvironment(getThingShadow: { _, _ in throw CancellationError() })
        XCTAssertThrowsError(try Fixture.run("SELECT get_thing_shadow('x') AS s FROM 'topic/subtopic'", "{}", environment: failing))
    }
}
