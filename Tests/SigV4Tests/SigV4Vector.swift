import SigV4

/// One request signed by botocore (see make_vectors.py), with the verdict the verifier must reach.
struct SigV4Vector {
    enum Expectation {
        case accept(keyId: String)
        case reject(code: String)
    }

    let name: String
    /// Who signed it: "boto3", "aws-cli" or "SigV4Auth" (botocore's signer on a hand-made request).
    let source: String
    let method: String
    let path: String
    let query: String?
    let headers: [(String, String)]
    let body: [UInt8]
    /// The verifier's clock, in seconds since 1970.
    let now: Int64
    let expect: Expectation
    /// botocore's canonical request for this exact request, when it was logged while signing.
    let canonicalRequest: String?

    var request: SigV4Request {
        SigV4Request(
            method: method, path: path, query: query, headers: headers.map { (name: $0.0, value: $0.1) }, body: body)
    }
}
