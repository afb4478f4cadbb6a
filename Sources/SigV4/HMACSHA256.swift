import Crypto

/// HMAC-SHA256 (RFC 2104) over byte arrays. swift-crypto's generic `HMAC<SHA256>` allocates a `SymmetricKey` per
/// step and dispatches generically across modules, which was a third of a verification; this is the same
/// construction on the same SHA-256, checked against RFC 4231's vectors.
enum HMACSHA256 {
    private static let blockSize = 64

    static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        if key.count > blockSize {
            block.replaceSubrange(0..<SHA256.byteCount, with: Array(SHA256.hash(data: key)))
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        inner.update(data: message)
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5C })
        outer.update(data: Array(inner.finalize()))
        return Array(outer.finalize())
    }
}
