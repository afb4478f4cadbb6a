/// The parts of an HTTP request that AWS Signature Version 4 covers, exactly as they came off the wire.
public struct SigV4Request: Sendable {
    public var method: String
    /// The request-target up to `?`, still percent-encoded as received (`/topics/a%2Fb`), never decoded.
    public var path: String
    /// The request-target after `?`, as received, or nil when there was no `?`.
    public var query: String?
    /// Every header in arrival order, names in any case; a repeated name appears once per field.
    /// HTTP/1.1's `Host` must be here even when the HTTP layer keeps it as the request's authority.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(
        method: String, path: String, query: String? = nil, headers: [(name: String, value: String)],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The values of every header with this name (case-insensitive), in arrival order.
    func values(of lowercasedName: String) -> [String] {
        headers.compactMap { $0.name.equalsIgnoringASCIICase(lowercasedName) ? $0.value : nil }
    }

    /// The first value of this header (case-insensitive), or nil.
    func value(of lowercasedName: String) -> String? {
        headers.first { $0.name.equalsIgnoringASCIICase(lowercasedName) }?.value
    }
}

extension String {
    /// Compares with an already lowercased ASCII name without allocating, since it runs for every header.
    fileprivate func equalsIgnoringASCIICase(_ lowercased: String) -> Bool {
        var other = lowercased.utf8.makeIterator()
        for byte in utf8 {
            let folded = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            guard other.next() == folded else { return false }
        }
        return other.next() == nil
    }
}
