import Foundation
import HTTPTypes
import Hummingbird
import IoTCore
import Storage

/// Requires an API key on every route except the public ones; caches lookups briefly
/// so hot endpoints do not read SQLite per request, while a revoked key stops working
/// within `cacheSeconds`.
struct APIKeyAuthenticator: RouterMiddleware {
    typealias Context = APIRequestContext

    let keys: APIKeyStore
    let publicPaths: Set<String>
    let cache = LockedValue<[String: (key: APIKey?, expires: UInt64)]>([:])
    let cacheNanos: UInt64 = 2_000_000_000

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if publicPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let secret = Self.secret(from: request), let key = try lookup(secret) else {
            throw APIError.unauthorized
        }
        var context = context
        context.apiKey = key
        return try await next(request, context)
    }

    static func secret(from request: Request) -> String? {
        if let k = request.headers[HTTPField.Name("x-api-key")!], !k.isEmpty { return k }
        if let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer ") {
            let s = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return s.isEmpty ? nil : s
        }
        return nil
    }

    func lookup(_ secret: String) throws -> APIKey? {
        let now = Clock.monotonicNanos()
        if let hit = cache.get()[secret], hit.expires > now { return hit.key }
        let key = try keys.authenticate(secret: secret)
        cache.withLock { c in
            // Bound the cache: a flood of wrong secrets must not grow memory without limit.
            if c.count > 10_000 { c.removeAll() }
            c[secret] = (key, now + cacheNanos)
        }
        return key
    }
}
