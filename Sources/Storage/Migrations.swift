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
        m.registerMigration("v4-compact-telemetry") { db in
            // Ingest cost per message was two tables and three indexes keyed by text. Now:
            // names (thing, field, topic) are interned as integers, a message is one row of a
            // clustered table whose key is also its dedup key, and a point is one row of a
            // clustered table ordered the way queries read it. Three B-tree inserts per
            // 2-field message instead of six, with integer keys. Existing rows are copied.
            try db.execute(
                sql: """
                    CREATE TABLE telemetry_names (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE
                    );
                    -- The next message id; one row, advanced once per committed batch.
                    CREATE TABLE telemetry_sequence (next INTEGER NOT NULL);
                    CREATE TABLE telemetry_messages (
                        thing INTEGER NOT NULL,        -- telemetry_names.id
                        ts INTEGER NOT NULL,           -- epoch ms: the payload's ts/timestamp, else arrival
                        digest INTEGER NOT NULL,       -- 64-bit FNV-1a of the payload
                        id INTEGER NOT NULL,           -- the API's messageId
                        topic INTEGER NOT NULL,        -- telemetry_names.id
                        receivedAt INTEGER NOT NULL,   -- epoch ms at the gateway
                        payload TEXT NOT NULL,
                        -- A QoS 1 redelivery of a message carrying its own ts is stored once.
                        PRIMARY KEY (thing, ts, digest)
                    ) WITHOUT ROWID;
                    CREATE TABLE telemetry_points (
                        thing INTEGER NOT NULL,
                        ts INTEGER NOT NULL,
                        message INTEGER NOT NULL,      -- telemetry_messages.id
                        field INTEGER NOT NULL,        -- telemetry_names.id
                        value REAL NOT NULL,
                        -- Serves "all fields" and "one field" (a residual: a thing has few fields).
                        PRIMARY KEY (thing, ts, message, field)
                    ) WITHOUT ROWID;

                    INSERT OR IGNORE INTO telemetry_names(name)
                        SELECT thing FROM messages UNION SELECT topic FROM messages UNION SELECT field FROM telemetry;
                    INSERT OR IGNORE INTO telemetry_messages(thing, ts, digest, id, topic, receivedAt, payload)
                        SELECT t.id, m.ts, m.digest, m.id, p.id, m.receivedAt, m.payload
                        FROM messages m
                        JOIN telemetry_names t ON t.name = m.thing
                        JOIN telemetry_names p ON p.name = m.topic;
                    INSERT OR IGNORE INTO telemetry_points(thing, ts, message, field, value)
                        SELECT t.id, x.ts, x.messageId, f.id, x.value
                        FROM telemetry x
                        JOIN telemetry_names t ON t.name = x.thing
                        JOIN telemetry_names f ON f.name = x.field;
                    INSERT INTO telemetry_sequence(next) SELECT coalesce(max(id), 0) + 1 FROM messages;
                    DROP TABLE telemetry;
                    DROP TABLE messages;
                    """)
        }
        return m
    }
}
