import GRDB
import GRDBSQLite
import IoTCore

/// One accepted telemetry message with the numeric points extracted from it.
public struct TelemetryMessage: Sendable {
    public var thing: String
    public var topic: String
    /// Epoch ms: the payload's `ts`/`timestamp` when present, else the arrival time.
    public var ts: Int64
    public var receivedAt: Int64
    /// The raw JSON text as received.
    public var payload: [UInt8]
    public var points: [TelemetryPoint]

    public init(thing: String, topic: String, ts: Int64, receivedAt: Int64, payload: [UInt8], points: [TelemetryPoint]) {
        self.thing = thing
        self.topic = topic
        self.ts = ts
        self.receivedAt = receivedAt
        self.payload = payload
        self.points = points
    }
}

/// A numeric leaf of a telemetry message, named by its dotted path (`motor.temp`, `axes[1]`).
public struct TelemetryPoint: Sendable, Equatable, Codable {
    public var field: String
    public var value: Double
    public init(field: String, value: Double) {
        self.field = field
        self.value = value
    }
}

/// A stored point as queries return it.
public struct StoredPoint: Sendable, Equatable, Codable {
    public var field: String
    public var ts: Int64
    public var value: Double
    public var messageId: Int64
}

/// A page of points, newest first, with the token for the next (older) page.
public struct TelemetryPage: Sendable, Equatable {
    public var points: [StoredPoint]
    public var nextToken: String?
}

/// What one batch insert did.
public struct TelemetryInsertResult: Sendable, Equatable {
    public var messages = 0
    public var points = 0
    public var duplicates = 0

    public init(messages: Int = 0, points: Int = 0, duplicates: Int = 0) {
        self.messages = messages
        self.points = points
        self.duplicates = duplicates
    }
}

/// Time-series storage for telemetry: raw messages plus one row per numeric point.
public struct TelemetryStore: Sendable {
    let database: GatewayDatabase

    public init(database: GatewayDatabase) { self.database = database }

    /// Inserts a batch in one transaction. A message already stored (same thing, ts and
    /// payload: a QoS 1 redelivery) is skipped and counted as a duplicate.
    public func insert(_ batch: [TelemetryMessage]) throws -> TelemetryInsertResult {
        try database.pool.write { db in
            var result = TelemetryInsertResult()
            let insertMessage = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO messages(thing, topic, ts, receivedAt, digest, payload)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            let insertPoint = try db.cachedStatement(
                sql: "INSERT INTO telemetry(messageId, thing, field, ts, value) VALUES (?, ?, ?, ?, ?)")
            // Values are bound straight onto the prepared statements: this loop runs for every
            // message ingested, and building argument arrays per row cost more than SQLite.
            let m1 = insertMessage.sqliteStatement
            let p1 = insertPoint.sqliteStatement
            for m in batch {
                sqlite3_reset(m1)
                sqlite3_bind_text(m1, 1, m.thing, -1, sqliteTransient)
                sqlite3_bind_text(m1, 2, m.topic, -1, sqliteTransient)
                sqlite3_bind_int64(m1, 3, m.ts)
                sqlite3_bind_int64(m1, 4, m.receivedAt)
                sqlite3_bind_int64(m1, 5, Self.digest(m.payload))
                m.payload.withUnsafeBytes { b in
                    // The payload is UTF-8 JSON (ingest parsed it), stored as TEXT without a String copy.
                    _ = sqlite3_bind_text(m1, 6, b.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(b.count), sqliteTransient)
                }
                try step(m1, db)
                guard sqlite3_changes(db.sqliteConnection) == 1 else {
                    result.duplicates += 1
                    continue
                }
                let id = sqlite3_last_insert_rowid(db.sqliteConnection)
                for p in m.points {
                    sqlite3_reset(p1)
                    sqlite3_bind_int64(p1, 1, id)
                    sqlite3_bind_text(p1, 2, m.thing, -1, sqliteTransient)
                    sqlite3_bind_text(p1, 3, p.field, -1, sqliteTransient)
                    sqlite3_bind_int64(p1, 4, m.ts)
                    sqlite3_bind_double(p1, 5, p.value)
                    try step(p1, db)
                }
                result.messages += 1
                result.points += m.points.count
            }
            sqlite3_reset(m1)
            sqlite3_reset(p1)
            return result
        }
    }

    private func step(_ statement: OpaquePointer?, _ db: Database) throws {
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Points of `thing`, newest first, optionally one field and a closed time range [from, to].
    public func query(
        thing: String, field: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int,
        pageToken: String? = nil
    ) throws -> TelemetryPage {
        var sql = "SELECT field, ts, value, messageId, id FROM telemetry WHERE thing = ?"
        var args: StatementArguments = [thing]
        if let field {
            sql += " AND field = ?"
            _ = args.append(contentsOf: [field])
        }
        if let from {
            sql += " AND ts >= ?"
            _ = args.append(contentsOf: [from])
        }
        if let to {
            sql += " AND ts <= ?"
            _ = args.append(contentsOf: [to])
        }
        if let pageToken {
            guard let (ts, id) = Self.decodeToken(pageToken) else { throw TelemetryQueryError.invalidToken }
            sql += " AND (ts < ? OR (ts = ? AND id < ?))"
            _ = args.append(contentsOf: [ts, ts, id])
        }
        sql += " ORDER BY ts DESC, id DESC LIMIT ?"
        _ = args.append(contentsOf: [limit + 1])
        let rows = try database.pool.read { db in try Row.fetchAll(db, sql: sql, arguments: args) }
        var points: [StoredPoint] = []
        points.reserveCapacity(min(rows.count, limit))
        var next: String?
        for (n, row) in rows.enumerated() {
            if n == limit {
                let last = rows[n - 1]
                next = Self.encodeToken(ts: last["ts"], id: last["id"])
                break
            }
            points.append(StoredPoint(field: row["field"], ts: row["ts"], value: row["value"], messageId: row["messageId"]))
        }
        return TelemetryPage(points: points, nextToken: next)
    }

    /// Number of stored messages and points; used by benchmarks and health output.
    public func counts() throws -> (messages: Int, points: Int) {
        try database.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM messages") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM telemetry") ?? 0
            )
        }
    }

    static func digest(_ bytes: [UInt8]) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return Int64(bitPattern: h)
    }

    // Tokens are opaque to clients; "ts.id" in hex keeps them short and URL-safe.
    static func encodeToken(ts: Int64, id: Int64) -> String {
        String(UInt64(bitPattern: ts), radix: 16) + "." + String(UInt64(bitPattern: id), radix: 16)
    }

    static func decodeToken(_ token: String) -> (Int64, Int64)? {
        let parts = token.split(separator: ".")
        guard parts.count == 2, let ts = UInt64(parts[0], radix: 16), let id = UInt64(parts[1], radix: 16) else {
            return nil
        }
        return (Int64(bitPattern: ts), Int64(bitPattern: id))
    }
}

/// Why a telemetry query was refused.
public enum TelemetryQueryError: Error, Equatable, CustomStringConvertible {
    case invalidToken
    public var description: String { "The nextToken is not one this API returned." }
}

/// SQLite copies bound text before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
