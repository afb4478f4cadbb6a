import Gateway
import Hummingbird
import Logging
import NIOCore

/// The REST API: builds the Hummingbird application over a running `Gateway`.
public struct GatewayAPI: Sendable {
    let gateway: Gateway
    /// Shared by the router's middleware and `HotReadHandler` (one credentials cache).
    let authenticator: APIKeyAuthenticator
    static let serverName = "iotgw"

    public init(gateway: Gateway) {
        self.gateway = gateway
        authenticator = APIKeyAuthenticator(keys: gateway.apiKeys, publicPaths: ["/health"])
    }

    /// The router with every route and the API-key middleware.
    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: authenticator)
        addHealthRoutes(to: router)
        addOpenAPIRoutes(to: router)
        addThingRoutes(to: router)
        addShadowRoutes(to: router)
        addRuleRoutes(to: router)
        return router
    }

    /// The HTTP server as a service. `onListening` receives the bound port (useful with port 0).
    public func makeApplication(
        host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let reads = HotReads(api: self)
        return Application(
            router: makeRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [HotReadHandler(reads: reads)])),
            configuration: .init(address: .hostname(host, port: port), serverName: Self.serverName),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
