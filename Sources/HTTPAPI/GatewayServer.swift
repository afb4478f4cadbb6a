#if canImport(Glibc)
import Glibc
#endif
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `iotgw serve`: the gateway and its HTTP API as one service group that stops cleanly on
/// SIGINT/SIGTERM (HTTP first, then ingest drains, then the embedded broker).
public enum GatewayServer {
    public static func run(configuration: GatewayConfiguration, logger: Logger) async throws {
        useEventLoopsForConcurrency()
        let gateway = try await Gateway.start(configuration: configuration, logger: logger)
        let host = configuration.httpHost
        let app = GatewayAPI(gateway: gateway).makeApplication(
            host: host, port: configuration.httpPort, logger: logger
        ) { port in
            Console.line("HTTP API listening on http://\(host):\(port)")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: GatewayService(gateway: gateway)),
                    .init(service: app),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            await gateway.shutdown()
            throw GatewayStartError(
                "HTTP port \(configuration.httpPort) on \(host) is already in use; choose another with --http-port (0 picks a free one).")
        }
    }
}

/// Runs Swift Concurrency's tasks on NIO's event loop threads (the ones Hummingbird serves on),
/// instead of hopping between them and Swift's own pool for every request. Once per process.
private func useEventLoopsForConcurrency() {
    _ = installed
}

private let installed: Bool = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// Keeps the gateway alive while the group runs; shuts it down on graceful shutdown.
struct GatewayService: Service {
    let gateway: Gateway

    func run() async throws {
        try? await gracefulShutdown()
        await gateway.shutdown()
    }
}
