import IoTCore
import Shadows
import XCTest

final class StoredShadowTests: XCTestCase {
    func testRoundTripsThroughBytes() throws {
        let a = try accept(nil, #"{"state": {"desired": {"mode": "auto", "list": [1, {"x": true}], "n": {"s": "\"q\"\n"}}}}"#,
                           now: 10)
        let b = try accept(a.stored, #"{"state": {"reported": {"mode": "eco", "t": 21.5, "u": -3}}}"#, now: 11)
        let decoded = try StoredShadow(decoding: b.stored.encoded)
        XCTAssertEqual(decoded, b.stored)
        XCTAssertEqual(decoded.stateByteCount, b.stored.stateByteCount)
        XCTAssertEqual(decoded.encoded, b.stored.encoded)
        // A decoded shadow continues exactly like the original.
        let fromOriginal = try accept(b.stored, #"{"state": {"reported": {"mode": "auto"}}}"#, now: 12)
        let fromDecoded = try accept(decoded, #"{"state": {"reported": {"mode": "auto"}}}"#, now: 12)
        XCTAssertEqual(fromOriginal.documents, fromDecoded.documents)
        XCTAssertEqual(fromOriginal.stored, fromDecoded.stored)
        XCTAssertEqual(decoded.desiredMetadata?["list"], json(#"[{"timestamp": 10}, {"x": {"timestamp": 10}}]"#))
    }

    func testTombstoneRoundTripsAndKeepsVersion() throws {
        let t = StoredShadow.deleted(version: 42)
        let d = try StoredShadow(decoding: t.encoded)
        XCTAssertTrue(d.isDeleted)
        XCTAssertEqual(d.version, 42)
        XCTAssertEqual(d, t)
    }

    func testRejectsBytesItDidNotWrite() {
        for text in ["", "[]", #"{"state": {}}"#, #"{"version": "1"}"#, #"{"state": {"desired": 1}, "version": 1}"#] {
            XCTAssertThrowsError(try StoredShadow(decoding: Array(text.utf8)), text)
        }
    }

    func testEncodedIsTheDocumentsBody() throws {
        let a = try accept(nil, #"{"state": {"reported": {"a": 1}}}"#, now: 5)
        assertJSON(a.stored.encoded, #"{"state": {"reported": {"a": 1}}, "metadata": {"reported": {"a": {"timestamp": 5}}}, "version": 1}"#)
        let current = try JSONValue.parse(a.documents)["current"]
        XCTAssertEqual(current, try JSONValue.parse(a.stored.encoded))
    }
}
