import IoTCore
import Shadows
import XCTest

/// Issue 4's "Bad input" list: each request is rejected with AWS's code and message, and the
/// caller's stored shadow is untouched (the engine returns no new shadow on failure).
final class BadInputTests: XCTestCase {
    let stored = StoredShadow(desired: ["color": "red"], reported: ["color": "blue"],
                              desiredMetadata: ["color": ["timestamp": 1]], reportedMetadata: ["color": ["timestamp": 1]],
                              version: 5)

    func testEachBadRequestGetsAWSCodeAndMessage() {
        let deep = #"{"state":{"reported":{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}}}"#
        let token65 = String(repeating: "x", count: 65)
        let cases: [(name: String, payload: [UInt8], code: Int, message: String)] = [
            ("malformed JSON", [UInt8](#"{"state": {"reported": {"a": 1}"#), 400, "Invalid JSON"),
            ("trailing garbage", [UInt8](#"{"state": {}} x"#), 400, "Invalid JSON"),
            ("empty payload", [], 400, "Invalid JSON"),
            ("whitespace payload", [UInt8]("  \n"), 400, "Invalid JSON"),
            ("top-level array", [UInt8](#"[{"state": {}}]"#), 400, "Invalid JSON"),
            ("no state", [UInt8](#"{"clientToken": "abc"}"#), 400, "Missing required node: state"),
            ("state is a string", [UInt8](#"{"state": "on"}"#), 400, "State node must be an object"),
            ("state is an array", [UInt8](#"{"state": [1]}"#), 400, "State node must be an object"),
            ("desired is a number", [UInt8](#"{"state": {"desired": 1}}"#), 400, "Desired node must be an object"),
            ("desired is an array", [UInt8](#"{"state": {"desired": [1]}}"#), 400, "Desired node must be an object"),
            ("reported is a string", [UInt8](#"{"state": {"reported": "x"}}"#), 400, "Reported node must be an object"),
            ("unknown state node", [UInt8](#"{"state": {"wanted": {"a": 1}}}"#), 400, "State contains an invalid node: 'wanted'"),
            ("version is a string", [UInt8](#"{"state": {"reported": {}}, "version": "5"}"#), 400, "Invalid version"),
            ("version is negative", [UInt8](#"{"state": {"reported": {}}, "version": -1}"#), 400, "Invalid version"),
            ("version is fractional", [UInt8](#"{"state": {"reported": {}}, "version": 4.5}"#), 400, "Invalid version"),
            ("version conflict", [UInt8](#"{"state": {"reported": {"a": 1}}, "version": 4}"#), 409, "Version conflict"),
            ("clientToken over 64 bytes", [UInt8](#"{"state": {"reported": {"a": 1}}, "clientToken": "\#(token65)"}"#),
             400, "Invalid clientToken"),
            ("clientToken not a string", [UInt8](#"{"state": {"reported": {"a": 1}}, "clientToken": 7}"#), 400, "Invalid clientToken"),
            ("too deep", [UInt8](deep), 400, "JSON contains too many levels of nesting; maximum is 6"),
            ("array containing null", [UInt8](#"{"state": {"desired": {"colors": [null, "RED", "GREEN"]}}}"#),
             400, "State contains an invalid node"),
            ("nested array containing null", [UInt8](#"{"state": {"reported": {"m": [[1, null]]}}}"#),
             400, "State contains an invalid node"),
            ("not UTF-8", [UInt8](#"{"state": {"reported": {"a": ""#) + [0xC3, 0x28] + [UInt8](#""}}}"#),
             415, "Unsupported documented encoding; supported encoding is UTF-8"),
        ]
        for c in cases {
            switch ShadowEngine.update(stored: stored, request: c.payload, now: 100) {
            case .success:
                XCTFail("\(c.name): accepted")
            case .failure(let e):
                XCTAssertEqual(e.code, c.code, c.name)
                XCTAssertEqual(e.message, c.message, c.name)
            }
        }
        // The caller still holds the shadow it passed in: version and state as before.
        XCTAssertEqual(stored.version, 5)
        XCTAssertEqual(stored.reported, ["color": "blue"])
    }

    func testDepthSixIsAcceptedAndSevenIsNot() throws {
        // The section object is level 1; five nested objects below it make six.
        _ = try accept(nil, #"{"state":{"reported":{"a":{"b":{"c":{"d":{"e":1}}}}}}}"#, now: 1)
        _ = try accept(nil, #"{"state":{"reported":{"a":{"b":{"c":{"d":{"e":[1]}}}}}}}"#, now: 1)
        XCTAssertEqual(reject(nil, [UInt8](#"{"state":{"reported":{"a":{"b":{"c":{"d":{"e":[[1]]}}}}}}}"#))?.code, 400)
        let limits = ShadowLimits(maxDepth: 2)
        XCTAssertEqual(reject(nil, [UInt8](#"{"state":{"desired":{"a":{"b":{"c":1}}}}}"#), limits: limits)?.message,
                       "JSON contains too many levels of nesting; maximum is 2")
    }

    func testOversizeStateIs413AndLimitIsConfigurable() throws {
        let big = String(repeating: "x", count: 8 * 1024)
        let err = reject(stored, [UInt8](#"{"state": {"reported": {"blob": "\#(big)"}}, "clientToken": "t1"}"#))
        XCTAssertEqual(err?.code, 413)
        XCTAssertEqual(err?.message, "The payload exceeds the maximum size allowed")
        XCTAssertEqual(err?.clientToken, "t1")
        // desired + reported count together: each alone fits, both do not.
        let limits = ShadowLimits(maxStateBytes: 40)
        let a = try accept(nil, #"{"state": {"desired": {"k": "0123456789"}}}"#, now: 1, limits: limits)
        XCTAssertEqual(a.stored.stateByteCount, #"{"k":"0123456789"}"#.utf8.count)
        XCTAssertEqual(reject(a.stored, [UInt8](#"{"state": {"reported": {"k": "01234567890123456789"}}}"#),
                              limits: limits)?.code, 413)
        // A raw payload over maxRequestBytes is refused before parsing.
        let tiny = ShadowLimits(maxRequestBytes: 16)
        XCTAssertEqual(reject(nil, [UInt8](#"{"state": {"reported": {"a": 1}}}"#), limits: tiny)?.code, 413)
    }

    func testErrorsEchoAValidClientToken() {
        let err = reject(stored, [UInt8](#"{"state": {"desired": 3}, "clientToken": "abc"}"#))
        XCTAssertEqual(err?.clientToken, "abc")
        assertJSON(err?.responseBody(now: 77),
                   #"{"code": 400, "message": "Desired node must be an object", "timestamp": 77, "clientToken": "abc"}"#)
        XCTAssertNil(reject(stored, [UInt8](#"{"state": 1, "clientToken": 12}"#))?.clientToken)
        assertJSON(ShadowError.invalidJSON.responseBody(now: 5), #"{"code": 400, "message": "Invalid JSON", "timestamp": 5}"#)
    }

    func testVersionChecks() throws {
        // The current version matches; a shadow that never existed is version 0.
        XCTAssertEqual(try accept(stored, #"{"state": {"reported": {"a": 1}}, "version": 5}"#, now: 1).stored.version, 6)
        XCTAssertEqual(try accept(nil, #"{"state": {"reported": {"a": 1}}, "version": 0}"#, now: 1).stored.version, 1)
        XCTAssertEqual(reject(nil, [UInt8](#"{"state": {"reported": {"a": 1}}, "version": 1}"#))?.code, 409)
        XCTAssertEqual(try accept(stored, #"{"state": {"reported": {"a": 1}}, "version": null}"#, now: 1).stored.version, 6)
    }

    func testDeltaInStateIsIgnoredAndNotEchoed() throws {
        let r = try accept(stored, #"{"state": {"reported": {"color": "red"}, "delta": {"color": "red"}}}"#, now: 9)
        assertJSON(r.accepted, """
            {"state": {"reported": {"color": "red"}}, "metadata": {"reported": {"color": {"timestamp": 9}}},
             "version": 6, "timestamp": 9}
            """)
    }

    func testGetAndDeleteOfMissingShadowAre404() throws {
        let key = try ShadowKey(thingName: "pump-7")
        for s in [nil, StoredShadow.deleted(version: 3)] {
            guard case .failure(let g) = ShadowEngine.get(stored: s, key: key, now: 1),
                  case .failure(let d) = ShadowEngine.delete(stored: s, key: key, now: 1)
            else { return XCTFail("missing shadow was found") }
            XCTAssertEqual(g, ShadowError(code: 404, message: "No shadow exists with name: 'pump-7'"))
            XCTAssertEqual(d, g)
        }
    }
}
