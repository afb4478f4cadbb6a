import IoTCore
import XCTest

final class JSONValueTests: XCTestCase {
    func testIntegersStayApartFromDecimalsAndKeysKeepTheirOrder() throws {
        let v = try JSONValue.parse(#"{"b": 1, "a": 1.0, "c": -9223372036854775808, "d": 9223372036854775808, "e": 1e2}"#)
        XCTAssertEqual(v["b"], .int(1))
        XCTAssertEqual(v["a"], .double(1))
        XCTAssertEqual(v["c"], .int(Int64.min))
        XCTAssertEqual(v["d"], .double(9223372036854775808), "past Int64 becomes a decimal")
        XCTAssertEqual(v["e"], .double(100))
        XCTAssertEqual(v.objectValue.map { Array($0.keys) }, ["b", "a", "c", "d", "e"])
    }

    func testStringsEscapesAndRoundTrip() throws {
        let text = #"{"s":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00","arr":[true,false,null,{},[]],"n":-0.5}"#
        let v = try JSONValue.parse(text)
        XCTAssertEqual(v["s"], .string("a\"b\\c/d\n\té😀"))
        let again = try JSONValue.parse(v.serialized())
        XCTAssertEqual(again, v)
        XCTAssertEqual(JSONValue.string("x\u{01}").serialized(), #""x\u0001""#)
        XCTAssertEqual(JSONValue.double(.nan).serialized(), "null", "JSON has no NaN")
    }

    func testErrorsNameTheOffset() {
        for (text, offset) in [("{\"a\":}", 5), ("[1,2", 4), ("{\"a\" 1}", 5), ("tru", 0), ("1 2", 2), ("\"\\x\"", 2), ("01", 1)] {
            XCTAssertThrowsError(try JSONValue.parse(text), text) { e in
                XCTAssertEqual((e as? JSONParseError)?.offset, offset, text)
            }
        }
        XCTAssertThrowsError(try JSONValue.parse("\"\\ud800\""), "unpaired surrogate")
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)))
        XCTAssertNoThrow(try JSONValue.parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)))
    }

    /// The parser's exact fast path for decimals must agree with Swift's own conversion.
    func testDecimalsParseExactlyLikeSwift() throws {
        var rng = SystemRandomNumberGenerator()
        var cases = ["5e-324", "1.7976931348623157e308", "-0.0", "0.1", "123456789012345.6", "1234567890123456.7",
                     "9007199254740993.0", "0.000001", "1e22", "1e23", "4.9e-324", "2.2250738585072014e-308"]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...18, using: &rng)
            let mantissa = String((0..<digits).map { _ in "0123456789".randomElement(using: &rng)! })
            let point = Int.random(in: 0...digits, using: &rng)
            // JSON allows no leading zeros in the integer part.
            let whole = String(mantissa.prefix(point).drop { $0 == "0" })
            var s = (whole.isEmpty ? "0" : whole) + "." + String(mantissa.dropFirst(point))
            if s.hasSuffix(".") { s += "0" }
            if Bool.random(using: &rng) { s += "e\(Int.random(in: -30...30, using: &rng))" }
            cases.append(Bool.random(using: &rng) ? "-" + s : s)
        }
        for c in cases {
            let parsed = try JSONValue.parse(c)
            XCTAssertEqual(parsed.doubleValue?.bitPattern, Double(c)?.bitPattern, c)
        }
    }

    func testIntegersAndWholeDecimalsAreWrittenLikeSwiftPrintsThem() {
        let integers: [Int64] = [0, 7, -7, 9, 10, -10, 99, 100, 1_234_567_890, -987_654_321, .max, .min, .max - 1, .min + 1]
        for value in integers {
            XCTAssertEqual(JSONValue.int(value).serialized(), String(value))
        }
        for value in [0.0, 3.0, -3.0, 10.0, 123_456_789.0, -1e14] {
            XCTAssertEqual(JSONValue.double(value).serialized(), String(Int64(value)) + ".0")
        }
        XCTAssertEqual(JSONValue.array([.int(-1), .double(2.5), .int(30)]).serialized(), "[-1,2.5,30]")
    }
}
