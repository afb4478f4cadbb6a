import Crypto
import Foundation

/// MQTT passwords for things, derived from one secret key so no per-thing secret is stored.
public enum DeviceCredentials {
    /// MQTT password for a thing, derived as HMAC-SHA256(key, thingName) → base64url (no padding), so the
    /// gateway and iotsim (with --data) derive the same value from DATA/device.key without storing per-thing secrets.
    public static func password(for thing: String, key: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(thing.utf8), using: SymmetricKey(data: key))
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static let keyFileName = "device.key"
    public static let keyLength = 32

    /// Reads DATA/device.key, or creates it (32 random bytes, mode 0600, folder created if missing).
    public static func loadOrCreateKey(dataDirectory: String) throws(DeviceKeyError) -> [UInt8] {
        let path = keyPath(dataDirectory)
        if FileManager.default.fileExists(atPath: path) { return try loadKey(dataDirectory: dataDirectory) }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw DeviceKeyError(path: path, reason: "cannot create the data folder (\(error.localizedDescription))")
        }
        var rng = SystemRandomNumberGenerator()
        let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        // O_EXCL: when the gateway and another process race to create the key, one wins and both read its key.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            if errno == EEXIST { return try loadKey(dataDirectory: dataDirectory) }
            throw DeviceKeyError(path: path, reason: "cannot create the key file (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == keyLength else {
            throw DeviceKeyError(path: path, reason: "cannot write the key file (\(String(cString: strerror(errno))))")
        }
        return key
    }

    /// Reads DATA/device.key; fails when it is missing or not exactly 32 bytes.
    public static func loadKey(dataDirectory: String) throws(DeviceKeyError) -> [UInt8] {
        let path = keyPath(dataDirectory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeviceKeyError(path: path, reason: "cannot read the key file; is this the gateway's data folder?")
        }
        guard data.count == keyLength else {
            throw DeviceKeyError(path: path, reason: "the key file holds \(data.count) bytes, expected \(keyLength)")
        }
        return Array(data)
    }

    static func keyPath(_ dataDirectory: String) -> String {
        (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/" + keyFileName
    }
}

/// The device key file could not be read or created.
public struct DeviceKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
