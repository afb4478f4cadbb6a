import Foundation
import HTTPTypes
import Hummingbird
import IoTCore
import SigV4
import Storage

/// Requires an API key on every route except the public ones: the secret as
/// `x-api-key` / `Authorization: Bearer`, or an AWS Signature Version 4 made with the key's
/// id and secret (what AWS SDKs and the AWS CLI send). Lookups are cached briefly so hot
/// endpoints do not read SQLite per request, while a revoked key stops working within
/// two seconds.
struct APIKeyAuthenticator: RouterMiddleware {
    typealias Context = APIRequestContext

    let keys: APIKeyStore
    let publicPaths: Set<String>
    let keysBySecret = ExpiringCache<String, APIKey?>()
    let secretsByKeyId = ExpiringCache<String, SigV4Secret?>()
    let verifier = SigV4Verifier()
    /// Largest body a signed request may carry; the signature covers it, so it is read whole.
    let maxSignedBody = 256 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if publicPaths.contains(request.uri.path) { return try await next(request, context) }
        var request = request
        var context = context
        if request.headers[.authorization]?.hasPrefix("AWS4-") == true
            || request.uri.query?.contains("X-Amz-Algorithm=") == true
        {
            context.apiKey = try await verifySigV4(&request)
        } else {
            guard let secret = Self.secret(from: request.headers), let key = try lookup(secret) else {
                throw APIError.unauthorized
            }
            context.apiKey = key
        }
        return try await next(request, context)
    }

    /// Checks the signature over the raw path, query, headers (with Host, which HTTP/1
    /// parsing moves into `:authority`) and the whole body, then hands the body on.
    func verifySigV4(_ request: inout Request) async throws -> APIKey {
        let body = try await request.body.collect(upTo: maxSignedBody)
        request.body = RequestBody(buffer: body)
        let target = request.head.path ?? "/"
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers: [(name: String, value: String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
        if let authority = request.head.authority { headers.append(("host", authority)) }
        let signed = SigV4Request(
            method: request.method.rawValue, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil,
            headers: headers, body: Array(buffer: body))
        var found: APIKey?
        do {
            _ = try verifier.verify(signed) { keyId in
                guard let entry = try secret(keyId: keyId) else { return nil }
                found = entry.key
                return entry.secret
            }
        } catch {
            throw APIError(HTTPResponse.Status(code: error.status), code: error.code, message: error.message)
        }
        guard let found else { throw APIError.unauthorized }
        return found
    }

    func secret(keyId: String) throws -> SigV4Secret? {
        try secretsByKeyId.value(for: keyId) { try keys.secret(keyId: keyId).map { SigV4Secret(key: $0.key, secret: $0.secret) } }
    }

    static func secret(from headers: HTTPFields) -> String? {
        if let k = headers[apiKeyHeader], !k.isEmpty { return k }
        if let auth = headers[.authorization], auth.lowercased().hasPrefix("bearer ") {
            let s = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return s.isEmpty ? nil : s
        }
        return nil
    }

    private static let apiKeyHeader = HTTPField.Name("x-api-key")!

    func lookup(_ secret: String) throws -> APIKey? {
        try keysBySecret.value(for: secret) { try keys.authenticate(secret: secret) }
    }
}

/// An API key with its secret in clear, as SigV4 verification needs it.
struct SigV4Secret: Sendable {
    var key: APIKey
    var secret: String
}
