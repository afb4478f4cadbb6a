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
    var scopeDate: Substring
    var region: Substring
    var service: Substring
    var signedHeaders: Substring
    var signature: Substring
    var presigned: Presigned?

    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/iotdata/aws4_request, SignedHeaders=host;x-amz-date, Signature=…`.
    init(authorization header: String) throws(SigV4Error) {
        let trimmed = header.drop { $0 == " " }
        let algorithm = trimmed.prefix { $0 != " " }
        guard algorithm == Self.algorithm else {
            throw .incomplete(
                "Unsupported signing algorithm '\(algorithm)' in the Authorization header: "
                    + "this gateway accepts \(Self.algorithm) only.")
        }
        var fields: [Substring: Substring] = [:]
        for item in trimmed.dropFirst(algorithm.count).split(separator: ",") {
            let pair = item.trimmingSpaces
            if pair.isEmpty { continue }
            guard let equals = pair.firstIndex(of: "=") else {
                throw .incomplete(
                    "'\(pair)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'.")
            }
            fields[pair[..<equals]] = pair[pair.index(after: equals)...]
        }
        let missing = ["Credential", "Signature", "SignedHeaders"].filter { fields[Substring($0)] == nil }
        guard missing.isEmpty, let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else {
            throw .incomplete(
                missing.map { "Authorization header requires '\($0)' parameter. " }.joined()
                    + "Authorization=\(header)")
        }
        try self.init(credential: credential, signedHeaders: signedHeaders, signature: signature, presigned: nil)
    }

    /// Parses the `X-Amz-*` parameters of a presigned URL's query.
    init(presignedQuery query: String) throws(SigV4Error) {
        var fields: [String: String] = [:]
        for piece in query.split(separator: "&") where piece.hasPrefix("X-Amz-") {
            let equals = piece.firstIndex(of: "=") ?? piece.endIndex
            let value = equals == piece.endIndex ? "" : piece[piece.index(after: equals)...]
            fields[String(piece[..<equals])] = String(decoding: URIEncoding.decode(value), as: UTF8.self)
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
                "X-Amz-Expires must be a whole number of seconds from 0 to \(Self.maxPresignedExpiry), not '\(expires)'.")
        }
        try self.init(
            credential: Substring(credential), signedHeaders: Substring(signedHeaders),
            signature: Substring(signature), presigned: Presigned(timestamp: timestamp, expiresSeconds: seconds))
    }

    private init(
        credential: Substring, signedHeaders: Substring, signature: Substring, presigned: Presigned?
    ) throws(SigV4Error) {
        // The key id is everything before the last four scope fields, so an id containing '/' still parses.
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts.allSatisfy({ !$0.isEmpty }) else {
            throw .incomplete(
                "Credential '\(credential)' must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.")
        }
        guard parts[parts.count - 1] == Self.terminator else {
            throw .incomplete(
                "Credential should be scoped with a valid terminator: '\(Self.terminator)', not '\(parts[parts.count - 1])'.")
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

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        let start = drop { $0 == " " || $0 == "\t" }
        return start.dropLast(start.reversed().prefix { $0 == " " || $0 == "\t" }.count)
    }
}
