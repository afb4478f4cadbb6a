import GRDB

extension GatewayDatabase {
    /// Registered, named, append-only migrations: never edit one that has shipped.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-things-telemetry-keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE things (
                        name TEXT PRIMARY KEY NOT NULL,
                        type TEXT,
                        fleet TEXT,
                        source TEXT NOT NULL,          -- 'devices' (from devices/ files) or 'api'
                        attributes TEXT NOT NULL DEFAULT '{}',
                        createdAt INTEGER NOT NULL
                    );
                    CREATE TABLE messages (
                        id INTEGER PRIMARY KEY,
                        thing TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        ts INTEGER NOT NULL,           -- epoch ms: the payload's ts/timestamp, else arrival
                        receivedAt INTEGER NOT NULL,   -- epoch ms at the gateway
                        digest INTEGER NOT NULL,       -- 64-bit FNV-1a of the payload
                        payload TEXT NOT NULL
                    );
                    -- A QoS 1 redelivery of a message carrying its own ts is stored once.
                    CREATE UNIQUE INDEX messages_dedup ON messages(thing, ts, digest);
                    CREATE TABLE telemetry (
                        id INTEGER PRIMARY KEY,
                        messageId INTEGER NOT NULL,
                        thing TEXT NOT NULL,
                        field TEXT NOT NULL,
                        ts INTEGER NOT NULL,
                        value REAL NOT NULL
                    );
                    -- One index serves both "all fields" and "one field" queries: a thing has
                    -- few fields, so filtering the field as a residual beats a second index on
                    -- every insert.
                    CREATE INDEX telemetry_by_thing_time ON telemetry(thing, ts, id);
                    CREATE TABLE api_keys (
                        keyId TEXT PRIMARY KEY NOT NULL,
                        secretHash TEXT NOT NULL UNIQUE,
                        role TEXT NOT NULL,
                        description TEXT NOT NULL DEFAULT '',
                        createdAt INTEGER NOT NULL,
                        revokedAt INTEGER
                    );
                    """)
        }
        m.registerMigration("v2-shadows") { db in
            try db.execute(
                sql: """
                    CREATE TABLE shadows (
                        thing TEXT NOT NULL,
                        name TEXT NOT NULL,            -- '' for the classic shadow
                        document BLOB NOT NULL,        -- the Shadows module's stored encoding
                        version INTEGER NOT NULL,
                        deleted INTEGER NOT NULL,      -- kept after delete so versions continue
                        updatedAt INTEGER NOT NULL,
                        PRIMARY KEY (thing, name)
                    ) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v3-sealed-key-secrets") { db in
            // SigV4 needs the secret itself, not a hash: keep it sealed (AES-GCM) with a key
            // that lives outside the database. NULL for keys created before.
            try db.execute(sql: "ALTER TABLE api_keys ADD COLUMN sealedSecret BLOB")
        }
        m.registerMigration("v3-rules") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rules (
                        name TEXT PRIMARY KEY NOT NULL,
                        document TEXT NOT NULL,        -- the TopicRulePayload as JSON, as created over REST
                        disabled INTEGER NOT NULL,
                        createdAt INTEGER NOT NULL,    -- epoch ms
                        updatedAt INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        return m
    }
}
