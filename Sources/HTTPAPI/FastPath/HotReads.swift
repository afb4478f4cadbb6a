import HTTPTypes
import Hummingbird
import NIOCore
import Shadows

/// The reads `HotReadHandler` answers on the event loop: `GET /health`, and
/// `GET /things/{thing}/shadow[?name=…]` with an API key (`x-api-key` or `Bearer`) that
/// authenticates, for a shadow that exists (200, or 304 for a matching `If-None-Match`).
/// Everything else returns nil and goes through Hummingbird's router unchanged: errors, SigV4,
/// other query parameters, percent-encoded names, `Connection: close`, other methods and paths.
/// The answers come from the same builders as the routes (`GatewayAPI.healthResponse`,
/// `GatewayAPI.shadowRead`), with the `Date` and `Server` headers Hummingbird adds.
struct HotReads: Sendable {
    let api: GatewayAPI
    let dates = HTTPDateCache()

    func answer(_ request: HTTPRequest) -> (head: HTTPResponse, body: ByteBuffer?)? {
        guard request.method == .get, let target = request.path else { return nil }
        if let connection = request.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        let plain: PlainResponse
        if target == "/health" {
            plain = api.healthResponse()
        } else if let (thing, name) = Self.shadowTarget(target) {
            guard let secret = APIKeyAuthenticator.secret(from: request.headerFields),
                case .some(.some) = try? api.authenticator.lookup(secret),
                let key = try? ShadowKey(thingName: thing, shadowName: name),
                let read = GatewayAPI.shadowRead(api.gateway.shadows.read(key), ifNoneMatch: request.headerFields[.ifNoneMatch])
            else { return nil }
            plain = read
        } else {
            return nil
        }
        var head = plain.response.head
        head.headerFields[.date] = dates.now
        head.headerFields[.server] = GatewayAPI.serverName
        api.gateway.metrics.countFastPathResponse()
        return (head, plain.body)
    }

    /// The thing and optional shadow name of `/things/{thing}/shadow` or
    /// `/things/{thing}/shadow?name={name}` when both consist of name characters only
    /// (`[a-zA-Z0-9:_-]`, so nothing is percent-encoded); nil for any other target.
    static func shadowTarget(_ target: String) -> (thing: String, name: String?)? {
        var utf8 = Substring(target).utf8[...]
        guard utf8.starts(with: "/things/".utf8) else { return nil }
        utf8 = utf8.dropFirst(8)
        let thing = utf8.prefix { isNameByte($0) }
        guard !thing.isEmpty else { return nil }
        utf8 = utf8.dropFirst(thing.count)
        guard utf8.starts(with: "/shadow".utf8) else { return nil }
        utf8 = utf8.dropFirst(7)
        if utf8.isEmpty { return (String(Substring(thing)), nil) }
        guard utf8.starts(with: "?name=".utf8) else { return nil }
        utf8 = utf8.dropFirst(6)
        guard !utf8.isEmpty, utf8.allSatisfy(isNameByte) else { return nil }
        return (String(Substring(thing)), String(Substring(utf8)))
    }

    private static func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
