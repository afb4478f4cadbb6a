import IoTCore
import Shadows
import XCTest

/// Parses JSON text written in a test; a typo in a fixture fails the test that uses it.
func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        XCTFail("Fixture is not JSON: \(error)\n\(text)", file: file, line: line)
        return .null
    }
}

/// Same value with object keys sorted at every level, so documents compare structurally.
func canonical(_ v: JSONValue) -> JSONValue {
    switch v {
    case .object(let o):
        var out = JSONObject()
        for k in o.keys.sorted() { out[k] = canonical(o[k]!) }
        return .object(out)
    case .array(let a): return .array(a.map(canonical))
    default: return v
    }
}

/// Asserts that `bytes` is JSON equal to `expected` regardless of member order.
func assertJSON(_ bytes: [UInt8]?, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let bytes else { return XCTFail("Expected a document, got nil", file: file, line: line) }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let actual = try? JSONValue.parse(bytes) else {
        return XCTFail("Output is not JSON: \(text)", file: file, line: line)
    }
    let want = json(expected, file: file, line: line)
    XCTAssertEqual(canonical(actual), canonical(want), "\nactual:   \(canonical(actual))\nexpected: \(canonical(want))",
                   file: file, line: line)
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
}

/// Applies an update that must succeed.
func accept(_ stored: StoredShadow?, _ request: String, now: Int64, limits: ShadowLimits = ShadowLimits(),
            file: StaticString = #filePath, line: UInt = #line) throws -> ShadowUpdateResult {
    switch ShadowEngine.update(stored: stored, request: [UInt8](request), now: now, limits: limits) {
    case .success(let r): return r
    case .failure(let e):
        XCTFail("Update rejected: \(e)", file: file, line: line)
        throw e
    }
}

/// Applies an update that must be rejected, and returns the error.
func reject(_ stored: StoredShadow?, _ request: [UInt8], now: Int64 = 1, limits: ShadowLimits = ShadowLimits(),
            file: StaticString = #filePath, line: UInt = #line) -> ShadowError? {
    switch ShadowEngine.update(stored: stored, request: request, now: now, limits: limits) {
    case .success(let r):
        XCTFail("Update accepted: \(String(decoding: r.accepted, as: UTF8.self))", file: file, line: line)
        return nil
    case .failure(let e): return e
    }
}
