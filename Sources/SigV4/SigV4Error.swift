/// Why a signed request was refused, with the code, message and HTTP status AWS answers with.
public struct SigV4Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// AWS's error code, for the `code` field of the JSON error body and `x-amzn-ErrorType`.
    public var code: String
    /// A full sentence telling the caller what to fix.
    public var message: String
    public var status: Int

    public init(code: String, message: String, status: Int) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "\(code) (\(status)): \(message)" }
}

extension SigV4Error {
    static func incomplete(_ message: String) -> SigV4Error {
        SigV4Error(code: "IncompleteSignatureException", message: message, status: 403)
    }

    static func invalid(_ message: String) -> SigV4Error {
        SigV4Error(code: "InvalidSignatureException", message: message, status: 403)
    }

    static let signatureDoesNotMatch = SigV4Error(
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. "
            + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        status: 403)

    static let unrecognizedClient = SigV4Error(
        code: "UnrecognizedClientException", message: "The security token included in the request is invalid.",
        status: 403)

    static func payloadHashMismatch(claimed: String, computed: String) -> SigV4Error {
        SigV4Error(
            code: "XAmzContentSHA256Mismatch",
            message: "The provided 'x-amz-content-sha256' header does not match what was computed. "
                + "Header: '\(claimed)', SHA-256 of the body: '\(computed)'. This gateway requires a signed payload.",
            status: 400)
    }

    static func secretLookupFailed(_ error: any Error) -> SigV4Error {
        SigV4Error(
            code: "InternalFailure", message: "The access key could not be looked up: \(error).", status: 500)
    }
}
