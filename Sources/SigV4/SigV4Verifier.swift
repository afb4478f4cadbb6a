import Crypto
import Foundation

/// Verifies AWS Signature Version 4 (header or presigned URL) the way AWS does, with botocore as the reference signer.
public struct SigV4Verifier: Sendable {
    /// Service names a credential scope may name (`iotdata` for iot-data, `iot` for the control plane).
    public var services: Set<String>
    public var maxClockSkew: Duration
    private let now: @Sendable () -> Date

    public init(
        services: Set<String> = ["iotdata", "iot", "execute-api"], maxClockSkew: Duration = .seconds(15 * 60),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.services = services
        self.maxClockSkew = maxClockSkew
        self.now = now
    }

    /// True when the request claims SigV4: an `Authorization: AWS4-…` header or an `X-Amz-Algorithm` query parameter.
    /// Any `AWS4-` algorithm counts, so an unsupported one is refused by `verify` with a reason.
    public static func isSigV4(_ request: SigV4Request) -> Bool {
        if let authorization = request.value(of: "authorization") {
            return authorization.drop { $0 == " " }.hasPrefix("AWS4-")
        }
        return request.query?.split(separator: "&").contains { $0.hasPrefix("X-Amz-Algorithm=") } ?? false
    }

    /// Returns the access key id when the signature is valid. `secretFor` returns the secret for an access key id,
    /// or nil if unknown.
    public func verify(_ request: SigV4Request, secretFor: (String) throws -> String?) throws(SigV4Error) -> String {
        let parameters = try signatureParameters(of: request)
        guard services.contains(parameters.service) else {
            throw .invalid(
                "Credential should be scoped to correct service: '\(services.sorted().joined(separator: "' or '"))', "
                    + "not '\(parameters.service)'.")
        }
        let timestamp = try requestTimestamp(request, parameters)
        guard timestamp.text.prefix(8) == parameters.scopeDate else {
            throw .invalid(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(parameters.scopeDate)' != '\(timestamp.text.prefix(8))', from '\(timestamp.text)'.")
        }
        try checkClock(timestamp, parameters.presigned)
        let canonicalRequests = try Self.canonicalRequests(request, parameters)

        let secret: String?
        do { secret = try secretFor(parameters.accessKeyId) } catch { throw .secretLookupFailed(error) }
        guard let secret else { throw .unrecognizedClient }

        let signingKey = Self.signingKey(secret: secret, parameters)
        let scope = [parameters.scopeDate, parameters.region, parameters.service, SignatureParameters.terminator]
            .joined(separator: "/")
        for canonical in canonicalRequests {
            let canonicalHash = Hex.encode(SHA256.hash(data: canonical))
            let stringToSign = "\(SignatureParameters.algorithm)\n\(timestamp.text)\n\(scope)\n\(canonicalHash)"
            let signature = HMACSHA256.authenticationCode(key: signingKey, message: Array(stringToSign.utf8))
            if Hex.constantTimeEquals(Hex.encode(signature), parameters.signature) { return parameters.accessKeyId }
        }
        throw .signatureDoesNotMatch
    }

    /// The canonical requests the client may have signed: one per distinct query form (usually just one).
    /// Every candidate covers the same method, path, signed headers and payload, so accepting any is safe.
    static func canonicalRequests(
        _ request: SigV4Request, _ parameters: SignatureParameters
    ) throws(SigV4Error) -> [[UInt8]] {
        let signedNames = parameters.signedHeaderNames
        guard signedNames.contains("host") else {
            throw .incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        let headers = try CanonicalRequest.headers(signed: signedNames, of: request)
        let bodyHash = Hex.encode(SHA256.hash(data: request.body))
        if let claimed = request.value(of: "x-amz-content-sha256"), claimed != bodyHash {
            throw .payloadHashMismatch(claimed: claimed, computed: bodyHash)
        }
        let path = CanonicalRequest.path(request.path)
        let excluded = parameters.presigned == nil ? nil : "X-Amz-Signature"
        var queries: [[UInt8]] = []
        for form in CanonicalRequest.QueryForm.allCases {
            let query = CanonicalRequest.query(request.query, form: form, excluding: excluded)
            if !queries.contains(query) { queries.append(query) }
        }
        return queries.map { query in
            CanonicalRequest.build(
                method: request.method, path: path, query: query, headers: headers,
                signedHeaders: parameters.signedHeaders, payloadHash: bodyHash)
        }
    }

    func signatureParameters(of request: SigV4Request) throws(SigV4Error) -> SignatureParameters {
        if let authorization = request.value(of: "authorization") {
            return try SignatureParameters(authorization: authorization)
        }
        if let query = request.query, Self.isSigV4(request) {
            return try SignatureParameters(presignedQuery: query)
        }
        throw SigV4Error(
            code: "MissingAuthenticationTokenException", message: "Missing Authentication Token", status: 403)
    }

    /// The signed timestamp: `X-Amz-Date` wins over `Date`, as in the specification.
    private func requestTimestamp(
        _ request: SigV4Request, _ parameters: SignatureParameters
    ) throws(SigV4Error) -> (text: String, seconds: Int64) {
        if let text = parameters.presigned?.timestamp ?? request.value(of: "x-amz-date") {
            guard let seconds = AmzDate.parseBasic(text) else {
                throw .incomplete(
                    "Date must be in ISO-8601 'basic format'. Got '\(text)'. See http://en.wikipedia.org/wiki/ISO_8601")
            }
            return (text, seconds)
        }
        guard let date = request.value(of: "date") else {
            throw .incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                    + "Authorization=\(request.value(of: "authorization") ?? "")")
        }
        guard let seconds = AmzDate.parseHTTP(date) else {
            throw .incomplete("The Date header '\(date)' is not an HTTP date such as 'Fri, 27 Nov 2026 00:00:00 GMT'.")
        }
        return (AmzDate.formatBasic(seconds), seconds)
    }

    private func checkClock(
        _ timestamp: (text: String, seconds: Int64), _ presigned: SignatureParameters.Presigned?
    ) throws(SigV4Error) {
        let nowSeconds = Int64(now().timeIntervalSince1970.rounded(.down))
        let skew = maxClockSkew.components.seconds
        let minutes = "\(skew / 60) min."
        if let presigned {
            let expiry = timestamp.seconds + presigned.expiresSeconds
            guard expiry >= nowSeconds else {
                throw .invalid(
                    "Signature expired: the presigned request expired at \(AmzDate.formatBasic(expiry)) "
                        + "(X-Amz-Date \(timestamp.text) + X-Amz-Expires \(presigned.expiresSeconds) s), "
                        + "and it is now \(AmzDate.formatBasic(nowSeconds)).")
            }
        } else if timestamp.seconds < nowSeconds - skew {
            throw .invalid(
                "Signature expired: \(timestamp.text) is now earlier than \(AmzDate.formatBasic(nowSeconds - skew)) "
                    + "(\(AmzDate.formatBasic(nowSeconds)) - \(minutes))")
        }
        if timestamp.seconds > nowSeconds + skew {
            throw .invalid(
                "Signature not yet current: \(timestamp.text) is still later than "
                    + "\(AmzDate.formatBasic(nowSeconds + skew)) (\(AmzDate.formatBasic(nowSeconds)) + \(minutes))")
        }
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    private static func signingKey(secret: String, _ parameters: SignatureParameters) -> [UInt8] {
        var key = Array("AWS4\(secret)".utf8)
        for element in [parameters.scopeDate, parameters.region, parameters.service, SignatureParameters.terminator] {
            key = HMACSHA256.authenticationCode(key: key, message: Array(element.utf8))
        }
        return key
    }
}
