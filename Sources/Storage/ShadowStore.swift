import Foundation
import GRDB
import IoTCore

/// One shadow row: the document bytes the Shadows module encodes, plus what queries need.
public struct ShadowRow: Sendable, Equatable {
    public var thing: String
    /// "" for the classic (unnamed) shadow.
    public var name: String
    public var document: [UInt8]
    public var version: Int64
    public var deleted: Bool
    public var updatedAt: Int64

    public init(thing: String, name: String, document: [UInt8], version: Int64, deleted: Bool, updatedAt: Int64) {
        self.thing = thing
        self.name = name
        self.document = document
        self.version = version
        self.deleted = deleted
        self.updatedAt = updatedAt
    }
}

/// Persistence for device shadows. It stores bytes and knows nothing of shadow semantics.
public struct ShadowStore: Sendable {
    let database: GatewayDatabase

    public init(database: GatewayDatabase) { self.database = database }

    public func load(thing: String, name: String) throws -> ShadowRow? {
        try database.pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM shadows WHERE thing = ? AND name = ?", arguments: [thing, name]
            ).map(Self.row)
        }
    }

    /// Writes every row in one transaction (insert or replace).
    public func save(_ rows: [ShadowRow]) throws {
        guard !rows.isEmpty else { return }
        try database.pool.write { db in
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO shadows(thing, name, document, version, deleted, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(thing, name) DO UPDATE SET document = excluded.document, version = excluded.version,
                        deleted = excluded.deleted, updatedAt = excluded.updatedAt
                    """)
            for r in rows {
                upsert.setUncheckedArguments([r.thing, r.name, Data(r.document), r.version, r.deleted, r.updatedAt])
                try upsert.execute()
            }
        }
    }

    /// Names of the thing's existing (not deleted) named shadows, in order, after `after`.
    public func namedShadows(thing: String, after: String?, limit: Int) throws -> [String] {
        try database.pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM shadows WHERE thing = ? AND name <> '' AND deleted = 0 AND name > ?
                    ORDER BY name LIMIT ?
                    """,
                arguments: [thing, after ?? "", limit])
        }
    }

    static func row(_ r: Row) -> ShadowRow {
        ShadowRow(
            thing: r["thing"], name: r["name"], document: [UInt8](r["document"] as Data), version: r["version"],
            deleted: r["deleted"], updatedAt: r["updatedAt"])
    }
}
