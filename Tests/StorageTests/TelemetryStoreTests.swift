import Foundation
import IoTCore
import Storage
import XCTest

final class TelemetryStoreTests: XCTestCase {
    func makeStore() throws -> TelemetryStore {
        let dir = NSTemporaryDirectory() + "storage-\(UUID().uuidString)"
        return TelemetryStore(database: try GatewayDatabase(dataDirectory: dir))
    }

    func message(_ thing: String, ts: Int64, _ json: String) throws -> TelemetryMessage {
        let obj = try JSONValue.parse(json).objectValue!
        return TelemetryMessage(
            thing: thing, topic: "devices/\(thing)/telemetry", ts: ts, receivedAt: ts, payload: Array(json.utf8),
            points: TelemetryExtraction.points(of: obj))
    }

    func testPointsAreNumericLeavesByDottedPath() throws {
        let obj = try JSONValue.parse(#"{"ts": 5, "t": 1.5, "ok": true, "s": "x", "m": {"a": 2, "b": [3, {"c": 4}]}}"#)
            .objectValue!
        XCTAssertEqual(
            TelemetryExtraction.points(of: obj),
            [
                .init(field: "t", value: 1.5), .init(field: "m.a", value: 2), .init(field: "m.b[0]", value: 3),
                .init(field: "m.b[1].c", value: 4),
            ])
        XCTAssertEqual(TelemetryExtraction.timestamp(of: obj), 5)
    }

    func testDuplicatesAreStoredOnceAndPagesCoverEverythingNewestFirst() throws {
        let store = try makeStore()
        var batch: [TelemetryMessage] = []
        for i in 0..<25 { batch.append(try message("a", ts: 1000 + Int64(i / 2), #"{"v": \#(i), "w": 1}"#)) }
        batch.append(try message("a", ts: 1000, #"{"v": 0, "w": 1}"#))  // redelivery of the first
        batch.append(try message("b", ts: 1000, #"{"v": 99}"#))
        let r = try store.insert(batch)
        XCTAssertEqual(r, TelemetryInsertResult(messages: 26, points: 51, duplicates: 1))

        var seen: [Double] = []
        var token: String?
        var last = (Int64.max, Int64.max)
        repeat {
            let page = try store.query(thing: "a", field: "v", limit: 4, pageToken: token)
            for p in page.points {
                XCTAssertTrue((p.ts, p.messageId) < last, "strictly newest first")
                last = (p.ts, p.messageId)
                seen.append(p.value)
            }
            token = page.nextToken
        } while token != nil
        XCTAssertEqual(seen.sorted(), (0..<25).map(Double.init))

        let ranged = try store.query(thing: "a", field: "v", from: 1002, to: 1003, limit: 100)
        XCTAssertEqual(ranged.points.map(\.value).sorted(), [4, 5, 6, 7])
        XCTAssertThrowsError(try store.query(thing: "a", limit: 1, pageToken: "garbage"))
    }
}

final class APIKeyStoreTests: XCTestCase {
    func testCreateAuthenticateRevoke() throws {
        let db = try GatewayDatabase(dataDirectory: NSTemporaryDirectory() + "keys-\(UUID().uuidString)")
        let keys = try APIKeyStore(database: db)
        let k = try keys.create(role: "admin")
        XCTAssertEqual(try keys.authenticate(secret: k.secret)?.keyId, k.keyId)
        XCTAssertNil(try keys.authenticate(secret: k.secret + "x"))
        let stored = try db.pool.read { try String.fetchOne($0, sql: "SELECT secretHash FROM api_keys") }
        XCTAssertNotEqual(stored, k.secret, "secrets are stored hashed")
        let sealed = try db.pool.read { try Data.fetchOne($0, sql: "SELECT sealedSecret FROM api_keys") }
        XCTAssertFalse(String(decoding: sealed ?? Data(), as: UTF8.self).contains(k.secret), "and sealed, not in clear")
        XCTAssertEqual(try keys.secret(keyId: k.keyId)?.secret, k.secret, "SigV4 can recover the secret")
        XCTAssertTrue(try keys.revoke(keyId: k.keyId))
        XCTAssertFalse(try keys.revoke(keyId: k.keyId))
        XCTAssertNil(try keys.authenticate(secret: k.secret))
    }
}
