import Foundation
import GRDB
import IoTCore
@testable import Storage
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

extension TelemetryStoreTests {
    func testAllFieldPagesReturnEveryPointOnceAcrossBatches() throws {
        let store = try makeStore()
        for b in 0..<3 {
            var batch: [TelemetryMessage] = []
            for i in 0..<10 { batch.append(try message("a", ts: 2000 + Int64(i % 4), #"{"x": \#(b * 10 + i), "y": \#(-(b * 10 + i))}"#)) }
            XCTAssertEqual(try store.insert(batch).messages, 10)
        }
        var seen: [String] = []
        var token: String?
        repeat {
            let page = try store.query(thing: "a", limit: 7, pageToken: token)
            seen += page.points.map { "\($0.field)=\($0.value)@\($0.ts)" }
            token = page.nextToken
        } while token != nil
        XCTAssertEqual(seen.count, 60)
        XCTAssertEqual(Set(seen).count, 60, "no point twice")
        XCTAssertEqual(try store.counts().messages, 30)
        XCTAssertEqual(try store.query(thing: "nobody", limit: 10).points, [])
    }

    /// Rows written with the v1 layout (text keys, two rowid tables) survive migration v4.
    func testMigrationToCompactTablesKeepsStoredTelemetry() throws {
        let path = NSTemporaryDirectory() + "storage-\(UUID().uuidString).sqlite"
        do {
            let pool = try DatabasePool(path: path)
            try GatewayDatabase.migrator.migrate(pool, upTo: "v3-rules")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO messages(id, thing, topic, ts, receivedAt, digest, payload) VALUES
                        (7, 'pump', 'devices/pump/telemetry', 100, 101, 42, '{"t":1.5,"p":2}'),
                        (8, 'pump', 'devices/pump/telemetry', 200, 201, 43, '{"t":2.5}');
                    INSERT INTO telemetry(messageId, thing, field, ts, value) VALUES
                        (7, 'pump', 't', 100, 1.5), (7, 'pump', 'p', 100, 2), (8, 'pump', 't', 200, 2.5);
                    """)
            }
        }
        let store = TelemetryStore(database: try GatewayDatabase(path: path))
        let page = try store.query(thing: "pump", limit: 10)
        XCTAssertEqual(page.points.first?.value, 2.5, "newest first")
        XCTAssertEqual(Set(page.points.dropFirst().map { "\($0.field)=\($0.value)" }), ["t=1.5", "p=2.0"])
        XCTAssertEqual(page.points.map(\.messageId), [8, 7, 7])
        XCTAssertEqual(try store.counts().messages, 2)
        // New messages continue the id sequence and the dedup key still holds for old rows.
        let r = try store.insert([try message("pump", ts: 300, #"{"t": 3}"#)])
        XCTAssertEqual(r.messages, 1)
        XCTAssertEqual(try store.query(thing: "pump", limit: 1).points.first?.messageId, 9)
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
