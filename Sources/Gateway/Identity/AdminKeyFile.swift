import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Storage

/// `DATA/admin.key`: the admin API key written once, readable only by its owner.
public enum AdminKeyFile {
    /// Contents of the file.
    public struct Contents: Codable, Sendable, Equatable {
        public var keyId: String
        public var secret: String
    }

    /// Returns the admin key, creating it (and the file, mode 0600) when the file is
    /// missing or holds a key this database does not know. `created` is true only then,
    /// which is when the secret may be printed.
    public static func ensure(path: String, keys: APIKeyStore) throws -> (key: Contents, created: Bool) {
        if let data = FileManager.default.contents(atPath: path),
            let existing = try? JSONDecoder().decode(Contents.self, from: data),
            let known = try keys.authenticate(secret: existing.secret), known.keyId == existing.keyId
        {
            return (existing, false)
        }
        let key = try keys.create(role: "admin", description: "created by the first iotgw serve")
        let contents = Contents(keyId: key.keyId, secret: key.secret)
        try write(contents, to: path)
        return (contents, true)
    }

    public static func read(path: String) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return try JSONDecoder().decode(Contents.self, from: data)
    }

    static func write(_ contents: Contents, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(contents)
        data.append(0x0A)
        let tmp = path + ".tmp"
        // Create with 0600 from the start: the secret must never be world-readable, not even briefly.
        guard FileManager.default.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
        try handle.write(contentsOf: data)
        try handle.close()
        guard rename(tmp, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
