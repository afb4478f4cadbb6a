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
///
/// Thing, field and topic names are stored as integers from `telemetry_names` (migration
/// v4). Names are never deleted, so an id once committed stays valid: `names` caches them,
/// and learns new ones only after the transaction that created them has committed.
public struct TelemetryStore: Sendable {
    let database: GatewayDatabase
    private let names: LockedValue<[String: Int64]>

    public init(database: GatewayDatabase) {
        self.database = database
        names = LockedValue([:])
    }

    /// Inserts a batch in one transaction. A message already stored (same thing, ts and
    /// payload: a QoS 1 redelivery) is skipped and counted as a duplicate.
    public func insert(_ batch: [TelemetryMessage]) throws -> TelemetryInsertResult {
        let known = names.get()
        let (result, learned) = try database.pool.write { db -> (TelemetryInsertResult, [String: Int64]) in
            var result = TelemetryInsertResult()
            var learned: [String: Int64] = [:]
            let insertMessage = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO telemetry_messages(thing, ts, digest, id, topic, receivedAt, payload)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            let insertPoint = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO telemetry_points(thing, ts, message, field, value) VALUES (?, ?, ?, ?, ?)")
            func id(_ name: String) throws -> Int64 {
                if let id = known[name] ?? learned[name] { return id }
                try db.execute(sql: "INSERT OR IGNORE INTO telemetry_names(name) VALUES (?)", arguments: [name])
                let id = try Int64.fetchOne(db, sql: "SELECT id FROM telemetry_names WHERE name = ?", arguments: [name])!
                learned[name] = id
                return id
            }
            var next = try Int64.fetchOne(db, sql: "SELECT next FROM telemetry_sequence") ?? 1
            // Values are bound straight onto the prepared statements: this loop runs for every
            // message ingested, and building argument arrays per row cost more than SQLite.
            let m1 = insertMessage.sqliteStatement
            let p1 = insertPoint.sqliteStatement
            for m in batch {
                let thing = try id(m.thing)
                sqlite3_reset(m1)
                sqlite3_bind_int64(m1, 1, thing)
                sqlite3_bind_int64(m1, 2, m.ts)
                sqlite3_bind_int64(m1, 3, Self.digest(m.payload))
                sqlite3_bind_int64(m1, 4, next)
                sqlite3_bind_int64(m1, 5, try id(m.topic))
                sqlite3_bind_int64(m1, 6, m.receivedAt)
                m.payload.withUnsafeBytes { b in
                    // The payload is UTF-8 JSON (ingest parsed it), stored as TEXT without a String copy.
                    _ = sqlite3_bind_text(m1, 7, b.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(b.count), sqliteTransient)
                }
                try step(m1, db)
                guard sqlite3_changes(db.sqliteConnection) == 1 else {
                    result.duplicates += 1
                    continue
                }
                for p in m.points {
                    sqlite3_reset(p1)
                    sqlite3_bind_int64(p1, 1, thing)
                    sqlite3_bind_int64(p1, 2, m.ts)
                    sqlite3_bind_int64(p1, 3, next)
                    sqlite3_bind_int64(p1, 4, try id(p.field))
                    sqlite3_bind_double(p1, 5, p.value)
                    try step(p1, db)
                }
                next += 1
                result.messages += 1
                result.points += m.points.count
            }
            sqlite3_reset(m1)
            sqlite3_reset(p1)
            try db.execute(sql: "UPDATE telemetry_sequence SET next = ?", arguments: [next])
            return (result, learned)
        }
        if !learned.isEmpty { names.withLock { $0.merge(learned) { old, _ in old } } }
        return result
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
        var sql = """
            SELECT n.name AS field, p.ts, p.value, p.message, p.field AS fieldId
            FROM telemetry_points p JOIN telemetry_names n ON n.id = p.field
            WHERE p.thing = (SELECT id FROM telemetry_names WHERE name = ?)
            """
        var args: StatementArguments = [thing]
        if let field {
            sql += " AND p.field = (SELECT id FROM telemetry_names WHERE name = ?)"
            _ = args.append(contentsOf: [field])
        }
        if let from {
            sql += " AND p.ts >= ?"
            _ = args.append(contentsOf: [from])
        }
        if let to {
            sql += " AND p.ts <= ?"
            _ = args.append(contentsOf: [to])
        }
        if let pageToken {
            guard let (ts, message, fieldId) = Self.decodeToken(pageToken) else { throw TelemetryQueryError.invalidToken }
            sql += " AND (p.ts, p.message, p.field) < (?, ?, ?)"
            _ = args.append(contentsOf: [ts, message, fieldId])
        }
        sql += " ORDER BY p.ts DESC, p.message DESC, p.field DESC LIMIT ?"
        _ = args.append(contentsOf: [limit + 1])
        let rows = try database.pool.read { db in try Row.fetchAll(db, sql: sql, arguments: args) }
        var points: [StoredPoint] = []
        points.reserveCapacity(min(rows.count, limit))
        var next: String?
        for (n, row) in rows.enumerated() {
            if n == limit {
                let last = rows[n - 1]
                next = Self.encodeToken(ts: last["ts"], message: last["message"], field: last["fieldId"])
                break
            }
            points.append(StoredPoint(field: row["field"], ts: row["ts"], value: row["value"], messageId: row["message"]))
        }
        return TelemetryPage(points: points, nextToken: next)
    }

    /// Number of stored messages and points; used by benchmarks and health output.
    public func counts() throws -> (messages: Int, points: Int) {
        try database.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM telemetry_messages") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM telemetry_points") ?? 0
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

    // Tokens are opaque to clients: the last point's key, "ts.message.field" in hex.
    static func encodeToken(ts: Int64, message: Int64, field: Int64) -> String {
        [ts, message, field].map { String(UInt64(bitPattern: $0), radix: 16) }.joined(separator: ".")
    }

    static func decodeToken(_ token: String) -> (Int64, Int64, Int64)? {
        let parts = token.split(separator: ".").compactMap { UInt64($0, radix: 16) }
        guard parts.count == 3, token.split(separator: ".").count == 3 else { return nil }
        return (Int64(bitPattern: parts[0]), Int64(bitPattern: parts[1]), Int64(bitPattern: parts[2]))
    }
}

/// Why a telemetry query was refused.
public enum TelemetryQueryError: Error, Equatable, CustomStringConvertible {
    case invalidToken
    public var description: String { "The nextToken is not one this API returned." }
}

/// SQLite copies bound text before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
