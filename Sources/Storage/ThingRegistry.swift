import Devices
import IoTCore
import Foundation
import GRDB

/// A registered thing as the REST API shows it.
public struct ThingRecord: Sendable, Equatable, Codable {
    public var name: String
    public var type: String?
    public var fleet: String?
    public var source: String
    public var createdAt: Int64

    public init(name: String, type: String?, fleet: String?, source: String, createdAt: Int64) {
        self.name = name
        self.type = type
        self.fleet = fleet
        self.source = source
        self.createdAt = createdAt
    }
}

/// The thing registry table, filled from `devices/`.
public struct ThingRegistry: Sendable {
    let database: GatewayDatabase

    public init(database: GatewayDatabase) { self.database = database }

    /// Makes the registry match the device files: adds new things, updates type and fleet,
    /// and removes things that came from files but are no longer declared there.
    /// Returns how many were added and removed.
    @discardableResult
    public func sync(with things: [ThingSpec], now: Int64 = Clock.epochMillis()) throws -> (added: Int, removed: Int) {
        try database.pool.write { db in
            let existing = Set(
                try String.fetchAll(db, sql: "SELECT name FROM things WHERE source = 'devices'"))
            let declared = Set(things.map(\.name))
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO things(name, type, fleet, source, createdAt) VALUES (?, ?, ?, 'devices', ?)
                    ON CONFLICT(name) DO UPDATE SET type = excluded.type, fleet = excluded.fleet, source = 'devices'
                    """)
            for t in things {
                try upsert.execute(arguments: [t.name, t.typeName, t.fleetName, now])
            }
            let gone = existing.subtracting(declared)
            let delete = try db.cachedStatement(sql: "DELETE FROM things WHERE name = ? AND source = 'devices'")
            for name in gone { try delete.execute(arguments: [name]) }
            return (declared.subtracting(existing).count, gone.count)
        }
    }

    /// Things ordered by name, starting after `after` (exclusive), at most `limit`.
    public func list(after: String? = nil, limit: Int = 1000) throws -> [ThingRecord] {
        try database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM things WHERE name > ? ORDER BY name LIMIT ?",
                arguments: [after ?? "", limit]
            ).map(Self.record)
        }
    }

    public func get(_ name: String) throws -> ThingRecord? {
        try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM things WHERE name = ?", arguments: [name]).map(Self.record)
        }
    }

    static func record(_ row: Row) -> ThingRecord {
        ThingRecord(
            name: row["name"], type: row["type"], fleet: row["fleet"], source: row["source"],
            createdAt: row["createdAt"])
    }
}
