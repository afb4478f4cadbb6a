import IoTCore
import XCTest

@testable import Rules

/// Every example of the AWS IoT SQL reference pages (SQL version 2016-03-23): input payload,
/// SQL and the documented output.
final class DocumentedExamplesTests: XCTestCase {
    struct Case {
        let payload: String
        let sql: String
        let output: String?
        var topic = "topic/subtopic"
    }

    func check(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
        for c in cases {
            let outcome = try Fixture.run(c.sql, c.payload, topic: c.topic)
            // The gateway's path writes the payload without building the result object: same bytes.
            let rule = try CompiledRule(sql: c.sql)
            if rule.matches(topic: c.topic) {
                let direct = try rule.evaluatePayload(Fixture.message(c.payload, topic: c.topic))
                XCTAssertEqual(direct.map { String(decoding: $0, as: UTF8.self) }, outcome.payloadBytes.map { String(decoding: $0, as: UTF8.self) },
                               "evaluatePayload: \(c.sql)", file: file, line: line)
            }
            guard let expected = c.output else {
                XCTAssertEqual(outcome, .notMatched(.whereNotTrue), c.sql, file: file, line: line)
                continue
            }
            guard case .fired(let v) = outcome else {
                XCTFail("\(c.sql): did not fire: \(outcome)", file: file, line: line)
                continue
            }
            assertSameJSON(v, json(expected), c.sql, file: file, line: line)
        }
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-select.html
    func testSelectClause() throws {
        let p = #"{"color":"red", "temperature":50}"#
        try check([
            Case(payload: p, sql: "SELECT * FROM 'topic/subtopic'", output: p),
            Case(payload: p, sql: "SELECT color FROM 'topic/subtopic'", output: #"{"color":"red"}"#),
            Case(payload: p, sql: "SELECT color AS my_color FROM 'topic/subtopic'", output: #"{"my_color":"red"}"#),
            Case(payload: p, sql: "SELECT color as my_color, temperature as fahrenheit FROM 'topic/subtopic'", output: #"{"my_color":"red","fahrenheit":50}"#),
            Case(payload: p, sql: "SELECT *, 15 as speed FROM 'topic/subtopic'", output: #"{"color":"red", "temperature":50, "speed":15}"#),
            Case(payload: p, sql: "SELECT VALUE color FROM 'topic/subtopic'", output: #""red""#),
            Case(payload: #"{"color":{"red":255,"green":0,"blue":0}, "temperature":50}"#, sql: "SELECT color.red as red_value FROM 'topic/subtopic'", output: #"{"red_value":255}"#),
            Case(payload: p, sql: "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'topic/subtopic'", output: #"{"celsius":10,"my_color":"RED"}"#),
        ])
        let keys = try Fixture.run("SELECT *, 15 as speed FROM 'topic/subtopic'", p)
        XCTAssertEqual(keys.payloadBytes.map { String(decoding: $0, as: UTF8.self) }, #"{"color":"red","temperature":50,"speed":15}"#)
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html and iot-sql-where.html
    func testWhereClause() throws {
        try check([
            Case(payload: #"{"color":"red","temperature":100}"#, sql: "SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50", output: #"{"rgb":"red"}"#),
            Case(payload: #"{"color":"red", "temperature":40}"#, sql: "SELECT color AS my_color FROM 'topic/subtopic' WHERE temperature > 50 AND color <> 'red'", output: nil),
        ])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-where.html (non-JSON payload example;
    /// decode yields the JSON number 80 because the decoded text is a JSON document).
    func testWhereWithEncodedPayload() throws {
        let sql = "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'topic/subtopic' WHERE decode(encode(*, 'base64'), 'base64') > 50"
        XCTAssertEqual(try Fixture.run(sql, "80"), .fired(json(#"{"value":80}"#)))
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html
    func testFromClauseFilters() throws {
        let sql = "SELECT temperature AS t FROM 'topic/#'"
        for (topic, fires) in [("topic/subtopic", true), ("topic/subtopic-2", true), ("topic/subtopic-3/details", true), ("topic-2/subtopic-x", false)] {
            let o = try Fixture.run(sql, #"{"temperature": 50}"#, topic: topic)
            XCTAssertEqual(o == .fired(json(#"{"t":50}"#)), fires, topic)
        }
        let plus = "SELECT temperature AS t FROM 'topic/+'"
        for (topic, fires) in [("topic/subtopic", true), ("topic/subtopic-2", true), ("topic/subtopic-3/details", false), ("topic-2/subtopic-x", false)] {
            let o = try Fixture.run(plus, #"{"temperature": 50}"#, topic: topic)
            XCTAssertEqual(o == .fired(json(#"{"t":50}"#)), fires, topic)
        }
        XCTAssertEqual(
            try Fixture.run("SELECT * FROM 'topic/subtopic'", "{}", topic: "topic/subtopic-2"),
            .notMatched(.topicMismatch(filter: "topic/subtopic", topic: "topic/subtopic-2")))
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-case.html
    func testCaseStatement() throws {
        let sql = """
            SELECT CASE color
                    WHEN 'green' THEN 'go'
                    WHEN 'yellow' THEN 'caution'
                    WHEN 'red' THEN 'stop'
                    ELSE 'you are not at a stop light' END as instructions
                FROM 'topic/subtopic'
            """
        try check([
            Case(payload: #"{"color":"yellow"}"#, sql: sql, output: #"{"instructions":"caution"}"#),
            Case(payload: #"{"color":"blue"}"#, sql: sql, output: #"{"instructions":"you are not at a stop light"}"#),
            Case(payload: #"{}"#, sql: sql, output: #"{}"#),
        ])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-literals.html
    /// (the page's second example prints 47.606 for an input of 47.696; the input is used here).
    func testLiterals() throws {
        try check([
            Case(payload: #"{"lat_long": [47.606,-122.332]}"#, sql: "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long FROM 'topic/subtopic'", output: #"{"lat_long":{"latitude":47.606,"longitude":-122.332}}"#),
            Case(payload: #"{"lat": 47.696, "long": -122.332}"#, sql: "SELECT [lat,long] as lat_long FROM 'topic/subtopic'", output: #"{"lat_long": [47.696,-122.332]}"#),
        ])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-nested-queries.html
    func testNestedQueries() throws {
        let p = """
            {"e": [
                { "n": "temperature", "u": "Cel", "t": 1234, "v": 22.5 },
                { "n": "light", "u": "lm", "t": 1235, "v": 135 },
                { "n": "acidity", "u": "pH", "t": 1235, "v": 7 }
            ]}
            """
        try check([
            Case(payload: p, sql: "SELECT (SELECT VALUE n FROM e) as sensors FROM 'my/topic'", output: #"{"sensors":["temperature","light","acidity"]}"#, topic: "my/topic"),
            Case(payload: p, sql: "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'my/topic'", output: #"{"temperature":[{"v":22.5}]}"#, topic: "my/topic"),
            Case(payload: p, sql: "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature FROM 'topic'", output: #"{"temperature":22.5}"#, topic: "topic"),
        ])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-json.html
    func testJSONExtensions() throws {
        try check([
            Case(payload: #"{"foo":{"bar":"RED","bar1":"GREEN","bar2":"BLUE"}}"#, sql: "SELECT foo.bar AS bar.baz FROM 'topic/subtopic'", output: #"{"bar":{"baz":"RED"}}"#),
            Case(payload: #"{"mydata":{"item2":{"0":{"my-key":"myValue"}}}}"#, sql: #"SELECT * from 'iot/rules' WHERE get(get(get(mydata,"item2"),"0"),"my-key") = "myValue""#, output: #"{"mydata":{"item2":{"0":{"my-key":"myValue"}}}}"#, topic: "iot/rules"),
            Case(payload: #"{"deviceid":"iot123","temp":54.98,"humidity":32.43,"coords":{"latitude":47.615694,"longitude":-122.3359976}}"#, sql: "SELECT temp, md5(deviceid) AS hashed_id FROM 'topic/#'", output: #"{"temp":54.98,"hashed_id":"e37f81fb397e595c4aeb5645b8cbbbd1"}"#),
        ])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html
    func testDataTypes() throws {
        try check([
            Case(payload: #"{"foo":null}"#, sql: "SELECT foo, bar FROM 'topic/subtopic'", output: #"{"foo":null}"#),
            Case(payload: "{}", sql: "SELECT NULL AS n FROM 'topic/subtopic'", output: #"{"n":null}"#),
            Case(payload: "{}", sql: "SELECT abs('-5.123') AS a FROM 'topic/subtopic'", output: #"{"a":5.123}"#),
        ])
        XCTAssertEqual(try Fixture.run("SELECT VALUE bar FROM 'topic/subtopic'", "{}"), .firedRaw([]), "Undefined serializes to an empty payload")
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-rule-sql-version.html
    func testArrayAsTopLevelValue() throws {
        try check([Case(payload: #"{"a":{"b":"c"},"arr":[1,2,3,4]}"#, sql: "SELECT VALUE arr FROM 'topic'", output: "[1,2,3,4]", topic: "topic")])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html
    func testBinaryPayloads() throws {
        let bytes: [UInt8] = [0x00, 0xFF, 0x10, 0x80]
        let m = RuleMessage(topic: "topic/subtopic", bytes: bytes, timestamp: 1000)
        XCTAssertNil(m.payload)
        XCTAssertEqual(try CompiledRule(sql: "SELECT * FROM 'topic/subtopic'").evaluate(m), .firedRaw(bytes))
        XCTAssertEqual(
            try CompiledRule(sql: "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'topic/subtopic'").evaluate(m),
            .fired(json(#"{"data":"AP8QgA==","ts":1000}"#)))
        XCTAssertEqual(try Fixture.run("SELECT * FROM 'topic/subtopic'", "[1, 2]"), .fired([1, 2]), "a non-object JSON payload passes through")
        XCTAssertEqual(
            try CompiledRule(sql: "SELECT * FROM 'topic/subtopic' WHERE device_type = 'thermostat'").evaluate(m),
            .notMatched(.whereNotTrue))
        XCTAssertEqual(
            try CompiledRule(sql: "SELECT *, principal() as principal FROM 'topic/subtopic'").evaluate(
                RuleMessage(topic: "topic/subtopic", bytes: bytes, principal: "p1")),
            .fired(json(#"{"principal":"p1"}"#)))
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html (decode, transform)
    func testDecodeAndTransformExamples() throws {
        let attributes = #"{"attributes":{"data1":1,"data2":2},"values":[{"a":3},{"b":4},{"c":5}]}"#
        let nested = #"{"data1":"example","data2":{"a":"first attribute","b":"second attribute","c":[{"x":{"someInt":5,"someString":"hello"},"y":true},{"x":{"someInt":10,"someString":"world"},"y":false}]}}"#
        try check([
            Case(payload: #"{"encoded_temp":"eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="}"#, sql: #"SELECT decode(encoded_temp,"base64").temperature AS temp from 'topic/subtopic'"#, output: #"{"temp":33}"#),
            Case(payload: attributes, sql: #"select value transform("enrichArray", attributes, values) from 'A/B'"#, output: #"[{"a":3,"data1":1,"data2":2},{"b":4,"data1":1,"data2":2},{"c":5,"data1":1,"data2":2}]"#, topic: "A/B"),
            Case(payload: attributes, sql: #"select value transform("enrichArray", {"key": attributes.data1}, values) from 'A/B'"#, output: #"[{"a":3,"key":1},{"b":4,"key":1},{"c":5,"key":1}]"#, topic: "A/B"),
            Case(payload: nested, sql: "select value transform('enrichArray', (select a, b from data2), (select value c from data2)) from 'A/B'", output: #"[{"x":{"someInt":5,"someString":"hello"},"y":true,"a":"first attribute","b":"second attribute"},{"x":{"someInt":10,"someString":"world"},"y":false,"a":"first attribute","b":"second attribute"}]"#, topic: "A/B"),
        ])
    }

    /// https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html
    func testSubstitutionTemplateExample() throws {
        let payload = #"{"deviceid":"iot123","temp":54.98,"humidity":32.43,"coords":{"latitude":47.615694,"longitude":-122.3359976}}"#
        let m = Fixture.message(payload, topic: "my/iot/topic")
        XCTAssertEqual(try SubstitutionTemplate("${topic()}/republish").render(m), "my/iot/topic/republish")
        let out = try CompiledRule(sql: "SELECT *, timestamp() AS timestamp FROM 'my/iot/topic'").evaluate(m)
        var expected = json(payload).objectValue!
        expected["timestamp"] = .int(1_481_825_251_155)
        XCTAssertEqual(out, .fired(.object(expected)))
    }
}

/// `CompiledRule.evaluatePayload` (the gateway's path) against `evaluateMatched` + `payloadBytes`.
final class EvaluatePayloadTests: XCTestCase {
    func testWritesTheSameBytesAsTheResultObject() throws {
        let payload = #"{"a":1,"b":"x\"y\\z","c":{"d":[1,2,{"e":null}]},"t":21.5,"big":12345678901234,"n":null}"#
        let sqls = [
            "SELECT a, b, c FROM 'x/y'",
            "SELECT a AS first, missing AS gone, t FROM 'x/y'",
            "SELECT a, a + 1 AS b, b AS a2 FROM 'x/y' WHERE a = 1",
            "SELECT a FROM 'x/y' WHERE a = 2",
            "SELECT a AS x, t AS x FROM 'x/y'",
            "SELECT a AS p.q, t AS p.r FROM 'x/y'",
            "SELECT *, 15 AS speed FROM 'x/y'",
            "SELECT * FROM 'x/y'",
            "SELECT VALUE c FROM 'x/y'",
            "SELECT VALUE missing FROM 'x/y'",
            "SELECT big, n, c.d[2] AS deep, topic(1) AS t1, concat(b, 'é✓') AS s FROM 'x/y'",
            "SELECT (SELECT e FROM c.d WHERE e = null) AS nested FROM 'x/y'",
        ]
        for sql in sqls {
            let rule = try CompiledRule(sql: sql)
            let message = Fixture.message(payload, topic: "x/y")
            let expected = try rule.evaluateMatched(message).payloadBytes
            let direct = try rule.evaluatePayload(message)
            XCTAssertEqual(direct.map { String(decoding: $0, as: UTF8.self) }, expected.map { String(decoding: $0, as: UTF8.self) }, sql)
        }
    }

    func testAResultOverTheLimitIsAnErrorOnBothPaths() throws {
        let rule = try CompiledRule(sql: "SELECT a, b FROM 'x/y'")
        let message = Fixture.message(#"{"a":"\#(String(repeating: "a", count: 100))","b":1}"#, topic: "x/y")
        XCTAssertThrowsError(try rule.evaluatePayload(message, limit: 50)) { error in
            XCTAssertTrue("\(error)".contains("over the 50-byte limit"), "\(error)")
        }
        XCTAssertNotNil(try rule.evaluatePayload(message, limit: 200))
    }
}
