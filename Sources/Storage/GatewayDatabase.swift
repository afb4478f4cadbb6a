import Foundation
import GRDB

/// The gateway's SQLite database: one writer, many readers (WAL), migrations applied on open.
public final class GatewayDatabase: Sendable {
    /// The underlying pool; exposed so services can run their own reads and batched writes.
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and applies every registered migration.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.label = "iotgw"
        // Several processes (the server and `iotgw keys …`) may use the file at once.
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a process crash; only an OS crash or power
            // loss can drop the last transactions, in exchange for no fsync per batch.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Ingest inserts into two tables and three indexes per message: a 64 MiB page
            // cache keeps their hot pages in memory, and checkpointing every 40 MB of WAL
            // instead of 4 MB keeps checkpoints out of most commits.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    /// Opens `DATA/iotgw.sqlite`, creating the data directory if needed.
    public convenience init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try self.init(path: (dataDirectory as NSString).appendingPathComponent("iotgw.sqlite"))
    }

    /// True when a trivial read succeeds; used by `/health`.
    public func isHealthy() -> Bool {
        (try? pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}
