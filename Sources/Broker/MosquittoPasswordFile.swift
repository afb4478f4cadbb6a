import Crypto
import _CryptoExtras

/// mosquitto 2.0's password file format: `user:$7$101$<base64 salt>$<base64 hash>` (PBKDF2-HMAC-SHA512,
/// 101 iterations, 12-byte salt, 64-byte hash), as `mosquitto_passwd` writes it (src/password_mosq.c).
public enum MosquittoPasswordFile {
    public static let iterations = 101
    static let saltLength = 12
    static let hashLength = 64

    /// One hashed entry value (the part after `username:`); `salt` is random unless given (tests).
    public static func hash(password: String, salt: [UInt8]? = nil) -> String {
        let salt = salt ?? (0..<saltLength).map { _ in UInt8.random(in: 0...255) }
        let key = derive(password: password, salt: salt, iterations: iterations)
        return "$7$\(iterations)$\(base64(salt))$\(base64(key))"
    }

    /// True when `password` matches a `$7$` entry value.
    public static func verify(password: String, against entry: String) -> Bool {
        let parts = entry.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[1] == "7", let rounds = Int(parts[2]),
              let salt = decodeBase64(String(parts[3])), let expected = decodeBase64(String(parts[4]))
        else { return false }
        let actual = derive(password: password, salt: salt, iterations: rounds)
        return actual.count == expected.count && zip(actual, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The whole file for `users`; throws for a username mosquitto cannot store.
    public static func render(users: [(username: String, password: String)]) throws(BrokerError) -> String {
        var text = ""
        for user in users {
            try validate(username: user.username)
            text += "\(user.username):\(hash(password: user.password))\n"
        }
        return text
    }

    static func validate(username: String) throws(BrokerError) {
        if username.isEmpty { throw .invalidUsername(username, reason: "it is empty") }
        if username.contains(":") { throw .invalidUsername(username, reason: "it contains ':', which separates name and hash in the password file") }
        if username.contains(where: { $0 == "\n" || $0 == "\r" }) { throw .invalidUsername(username, reason: "it contains a line break") }
        if username.contains(where: { $0 == "+" || $0 == "#" || $0 == "/" }) {
            throw .invalidUsername(username, reason: "it contains '+', '#' or '/', which would break the per-device ACL patterns (%u)")
        }
    }

    private static func derive(password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        // mosquitto's iteration count (101) is below swift-crypto's checked minimum; the format demands it.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha512,
            outputByteCount: hashLength, unsafeUncheckedRounds: iterations
        )
        return key.withUnsafeBytes { Array($0) }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decodeBase64(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            values.append(UInt32(value))
        }
        var out: [UInt8] = []
        var index = 0
        while index + 1 < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var triple: UInt32 = 0
            for (offset, value) in chunk.enumerated() { triple |= value << (18 - 6 * UInt32(offset)) }
            out.append(UInt8(triple >> 16 & 255))
            if chunk.count > 2 { out.append(UInt8(triple >> 8 & 255)) }
            if chunk.count > 3 { out.append(UInt8(triple & 255)) }
            index += 4
        }
        return out
    }
}
