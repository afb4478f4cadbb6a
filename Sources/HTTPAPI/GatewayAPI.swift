import Gateway
import Hummingbird
import Logging
import NIOCore

/// The REST API: builds the Hummingbird application over a running `Gateway`.
public struct GatewayAPI: Sendable {
    let gateway: Gateway

    public init(gateway: Gateway) { self.gateway = gateway }

    /// The router with every route and the API-key middleware.
    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIKeyAuthenticator(keys: gateway.apiKeys, publicPaths: ["/health"]))
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
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "iotgw"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
