import Crypto
import Foundation
import GRDB
import IoTCore

/// An API key as listed (never with its secret).
public struct APIKey: Sendable, Equatable, Codable {
    public var keyId: String
    public var role: String
    public var description: String
    public var createdAt: Int64
    public var revokedAt: Int64?
}

/// A newly created key: the only moment the secret is known in clear.
public struct NewAPIKey: Sendable, Equatable, Codable {
    public var keyId: String
    public var secret: String
    public var role: String
}

/// API keys: the SHA-256 of the secret for bearer lookups, and the secret sealed with
/// `SecretBox` for AWS SigV4, which needs the secret itself to check a signature.
///
/// Secrets are 240 random bits, so an unsalted fast hash is enough: there is nothing to
/// brute-force, and lookups stay one indexed read.
public struct APIKeyStore: Sendable {
    let database: GatewayDatabase
    let box: SecretBox

    /// The sealing key lives in `secrets.key` beside the database file.
    public init(database: GatewayDatabase) throws {
        self.database = database
        box = try SecretBox(
            keyFile: ((database.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("secrets.key"))
    }

    /// Creates a key with a random id and secret.
    public func create(role: String = "admin", description: String = "", now: Int64 = Clock.epochMillis()) throws
        -> NewAPIKey
    {
        let key = NewAPIKey(keyId: Self.randomKeyId(), secret: Self.randomSecret(), role: role)
        let sealed = try box.seal(key.secret)
        try database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO api_keys(keyId, secretHash, sealedSecret, role, description, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [key.keyId, Self.hash(key.secret), sealed, role, description, now])
        }
        return key
    }

    public func list() throws -> [APIKey] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY createdAt, keyId").map(Self.key)
        }
    }

    /// Revokes a key; returns false when no active key has that id.
    @discardableResult
    public func revoke(keyId: String, now: Int64 = Clock.epochMillis()) throws -> Bool {
        try database.pool.write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revokedAt = ? WHERE keyId = ? AND revokedAt IS NULL",
                arguments: [now, keyId])
            return db.changesCount == 1
        }
    }

    /// The active key whose secret this is, or nil.
    public func authenticate(secret: String) throws -> APIKey? {
        let h = Self.hash(secret)
        return try database.pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM api_keys WHERE secretHash = ? AND revokedAt IS NULL", arguments: [h]
            ).map(Self.key)
        }
    }

    /// The active key with this id and its secret, for SigV4; nil when unknown or revoked.
    public func secret(keyId: String) throws -> (key: APIKey, secret: String)? {
        let row = try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE keyId = ? AND revokedAt IS NULL", arguments: [keyId])
        }
        guard let row, let sealed = row["sealedSecret"] as Data? else { return nil }
        return (Self.key(row), try box.open(sealed))
    }

    static func key(_ row: Row) -> APIKey {
        APIKey(
            keyId: row["keyId"], role: row["role"], description: row["description"], createdAt: row["createdAt"],
            revokedAt: row["revokedAt"])
    }

    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func randomKeyId() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var rng = SystemRandomNumberGenerator()
        return "IOTGW" + String((0..<15).map { _ in alphabet[Int(rng.next() % 32)] })
    }

    static func randomSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<30).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
