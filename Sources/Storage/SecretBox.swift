import Crypto
import Foundation

/// Seals secrets with AES-GCM under a key kept in a file beside the database (mode 0600),
/// so a copy of the database alone does not reveal them.
public struct SecretBox: Sendable {
    // Raw bytes: SymmetricKey is not Sendable in this swift-crypto.
    let keyBytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Loads `path`, creating a random 256-bit key there if it does not exist.
    public init(keyFile path: String) throws {
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            keyBytes = Array(data)
            return
        }
        let k = SymmetricKey(size: .bits256)
        let bytes = k.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        keyBytes = Array(bytes)
    }

    public func seal(_ secret: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key).combined else {
            throw CocoaError(.coderInvalidValue)
        }
        return combined
    }

    public func open(_ sealed: Data) throws -> String {
        String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key), as: UTF8.self)
    }
}
