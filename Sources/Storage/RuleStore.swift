import Foundation
import GRDB
import IoTCore

/// A rule created over the REST API, as stored: its TopicRulePayload JSON and state.
public struct StoredRule: Sendable, Equatable {
    public var name: String
    /// The TopicRulePayload JSON (sql, actions, errorAction, …) as the API received it.
    public var document: String
    public var disabled: Bool
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(name: String, document: String, disabled: Bool, createdAt: Int64, updatedAt: Int64) {
        self.name = name
        self.document = document
        self.disabled = disabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The `rules` table: rules created over REST, which survive restarts (file rules live in `rules/`).
public struct RuleStore: Sendable {
    let database: GatewayDatabase

    public init(database: GatewayDatabase) { self.database = database }

    /// Every stored rule, ordered by name.
    public func all() throws -> [StoredRule] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rules ORDER BY name").map(Self.record)
        }
    }

    public func get(_ name: String) throws -> StoredRule? {
        try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM rules WHERE name = ?", arguments: [name]).map(Self.record)
        }
    }

    /// Inserts a new rule; false when one of that name exists.
    public func create(name: String, document: String, disabled: Bool, now: Int64 = Clock.epochMillis()) throws -> Bool {
        try database.pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO rules(name, document, disabled, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, document, disabled, now, now])
            return db.changesCount == 1
        }
    }

    /// Replaces an existing rule's document and state; false when there is none.
    public func replace(name: String, document: String, disabled: Bool, now: Int64 = Clock.epochMillis()) throws -> Bool {
        try database.pool.write { db in
            try db.execute(
                sql: "UPDATE rules SET document = ?, disabled = ?, updatedAt = ? WHERE name = ?",
                arguments: [document, disabled, now, name])
            return db.changesCount == 1
        }
    }

    /// Enables or disables a rule; false when there is none.
    public func setDisabled(name: String, _ disabled: Bool, now: Int64 = Clock.epochMillis()) throws -> Bool {
        try database.pool.write { db in
            try db.execute(
                sql: "UPDATE rules SET disabled = ?, updatedAt = ? WHERE name = ?", arguments: [disabled, now, name])
            return db.changesCount == 1
        }
    }

    /// Deletes a rule; false when there was none.
    public func delete(name: String) throws -> Bool {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM rules WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }

    static func record(_ row: Row) -> StoredRule {
        StoredRule(
            name: row["name"], document: row["document"], disabled: row["disabled"], createdAt: row["createdAt"],
            updatedAt: row["updatedAt"])
    }
}
