/// What a client states about its signature, from the `Authorization` header or a presigned URL's query.
struct SignatureParameters {
    /// Expiry of a presigned URL; header-signed requests are bounded by the clock skew instead.
    struct Presigned {
        var timestamp: String
        var expiresSeconds: Int64
    }

    static let algorithm = "AWS4-HMAC-SHA256"
    static let terminator = "aws4_request"
    /// AWS refuses presigned URLs valid for longer than seven days.
    static let maxPresignedExpiry: Int64 = 604_800

    var accessKeyId: String
    var scopeDate: String
    var region: String
    var service: String
    /// As the client wrote it: this exact text is part of the canonical request.
    var signedHeaders: String
    var signature: String
    var presigned: Presigned?

    /// The signed header names, lowercased, in the client's order.
    var signedHeaderNames: [String] {
        Array(signedHeaders.utf8).split(separator: UInt8(ascii: ";")).map { name in
            String(decoding: name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
    }

    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/iotdata/aws4_request,
    /// SignedHeaders=host;x-amz-date, Signature=…`.
    init(authorization header: String) throws(SigV4Error) {
        let bytes = Array(header.utf8)
        let start = bytes.firstIndex { $0 != UInt8(ascii: " ") } ?? bytes.endIndex
        let algorithmEnd = bytes[start...].firstIndex(of: UInt8(ascii: " ")) ?? bytes.endIndex
        let algorithm = String(decoding: bytes[start..<algorithmEnd], as: UTF8.self)
        guard algorithm == Self.algorithm else {
            throw .incomplete(
                "Unsupported signing algorithm '\(algorithm)' in the Authorization header: "
                    + "this gateway accepts \(Self.algorithm) only.")
        }
        var credential: String?
        var signedHeaders: String?
        var signature: String?
        for item in bytes[algorithmEnd...].split(separator: UInt8(ascii: ",")) {
            let pair = item.trimmingSpaces
            if pair.isEmpty { continue }
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else {
                throw .incomplete(
                    "'\(String(decoding: pair, as: UTF8.self))' not a valid key=value pair (missing equal-sign) "
                        + "in Authorization header: '\(header)'.")
            }
            let value = String(decoding: pair[(equals + 1)...], as: UTF8.self)
            switch String(decoding: pair[..<equals], as: UTF8.self) {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: continue
            }
        }
        guard let credential, let signedHeaders, let signature else {
            let missing = [("Credential", credential), ("Signature", signature), ("SignedHeaders", signedHeaders)]
                .filter { $0.1 == nil }
            throw .incomplete(
                missing.map { "Authorization header requires '\($0.0)' parameter. " }.joined()
                    + "Authorization=\(header)")
        }
        try self.init(credential: credential, signedHeaders: signedHeaders, signature: signature, presigned: nil)
    }

    /// Parses the `X-Amz-*` parameters of a presigned URL's query.
    init(presignedQuery query: String) throws(SigV4Error) {
        var fields: [String: String] = [:]
        for piece in Array(query.utf8).split(separator: UInt8(ascii: "&")) where piece.starts(with: "X-Amz-".utf8) {
            let equals = piece.firstIndex(of: UInt8(ascii: "=")) ?? piece.endIndex
            let value = equals == piece.endIndex ? [] : piece[(equals + 1)...]
            fields[String(decoding: piece[..<equals], as: UTF8.self)] = String(
                decoding: URIEncoding.decode(value), as: UTF8.self)
        }
        guard let algorithm = fields["X-Amz-Algorithm"], let credential = fields["X-Amz-Credential"],
            let signature = fields["X-Amz-Signature"], let timestamp = fields["X-Amz-Date"],
            let signedHeaders = fields["X-Amz-SignedHeaders"], let expires = fields["X-Amz-Expires"]
        else {
            throw .incomplete(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                    + "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard algorithm == Self.algorithm else {
            throw .incomplete(
                "Unsupported X-Amz-Algorithm '\(algorithm)': this gateway accepts \(Self.algorithm) only.")
        }
        guard let seconds = Int64(expires), seconds >= 0, seconds <= Self.maxPresignedExpiry else {
            throw .incomplete(
                "X-Amz-Expires must be a whole number of seconds from 0 to \(Self.maxPresignedExpiry), "
                    + "not '\(expires)'.")
        }
        try self.init(
            credential: credential, signedHeaders: signedHeaders, signature: signature,
            presigned: Presigned(timestamp: timestamp, expiresSeconds: seconds))
    }

    private init(
        credential: String, signedHeaders: String, signature: String, presigned: Presigned?
    ) throws(SigV4Error) {
        // The key id is everything before the last four scope fields, so an id containing '/' still parses.
        let parts = Array(credential.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard parts.count >= 5, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .incomplete(
                "Credential '\(credential)' must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.")
        }
        guard parts[parts.count - 1] == Self.terminator else {
            throw .incomplete(
                "Credential should be scoped with a valid terminator: '\(Self.terminator)', "
                    + "not '\(parts[parts.count - 1])'.")
        }
        accessKeyId = parts[..<(parts.count - 4)].joined(separator: "/")
        scopeDate = parts[parts.count - 4]
        region = parts[parts.count - 3]
        service = parts[parts.count - 2]
        self.signedHeaders = signedHeaders
        self.signature = signature
        self.presigned = presigned
    }
}

extension ArraySlice<UInt8> {
    fileprivate var trimmingSpaces: ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return []
        }
        return self[first...last]
    }
}
