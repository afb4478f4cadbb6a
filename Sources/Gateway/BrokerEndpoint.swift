import Broker
import Devices
import Foundation
import Logging
import MQTT

/// Where the gateway's MQTT connection goes, and the embedded broker if it runs one.
struct BrokerEndpoint: Sendable {
    var host: String
    var port: Int
    var clientID: String
    var username: String?
    var password: String?
    var broker: BrokerSupervisor?
    /// Where the gateway's own connection goes: for the embedded broker its TLS-PSK listener (a
    /// Unix socket in the broker folder, or a loopback port when that path is too long), else
    /// `host:port` in plain TCP.
    var linkHost: String
    var linkPort: Int
    var linkTLS: MQTTLink.TLS?
    /// MQTT 5, so the gateway's `#` can be No Local (see `OwnMessageFeed`). The embedded
    /// mosquitto speaks it; an external broker gets MQTT 3.1.1, which every broker speaks.
    var linkMQTT5: Bool

    /// The username the gateway itself uses on the embedded broker (full access).
    static let gatewayUser = GatewayCredentials.username

    /// Starts the embedded broker, or parses the external broker URL.
    static func resolve(
        configuration: GatewayConfiguration, catalog: DeviceCatalog, deviceKey: [UInt8], metrics: GatewayMetrics,
        logger: Logger
    ) async throws -> BrokerEndpoint {
        switch configuration.broker {
        case .external(let url):
            guard let c = URLComponents(string: url), c.scheme == "mqtt", let host = c.host, !host.isEmpty else {
                throw GatewayStartError("--broker-url must look like mqtt://[user:password@]host:port; got \(url)")
            }
            return BrokerEndpoint(
                host: host, port: c.port ?? 1883, clientID: "iotgw-ingest", username: c.user, password: c.password,
                broker: nil, linkHost: host, linkPort: c.port ?? 1883, linkTLS: nil, linkMQTT5: false)
        case .embedded:
            let directory = configuration.brokerDirectory
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let secret = try GatewayCredentials.loadOrCreate(dataDirectory: configuration.dataDirectory)
            var mosquitto = MosquittoConfig(directory: directory, host: configuration.mqttHost, port: configuration.mqttPort)
            mosquitto.maxPacketSize = max(mosquitto.maxPacketSize, configuration.maxPayloadBytes + 64 * 1024)
            // Past this many queued messages mosquitto drops QoS 1 messages for a lagging
            // session, the gateway's included: allow a long backlog (≈ 100–200 MB) before that.
            mosquitto.maxQueuedMessages = configuration.brokerMaxQueuedMessages
            // A fresh key per start; only this process and mosquitto (file mode 0600) know it.
            var generator = SystemRandomNumberGenerator()
            let linkTLS = MQTTLink.TLS.preSharedKey(identity: "iotgw", key: (0..<32).map { _ in generator.next() })
            // A Unix socket where the path fits, else a loopback port.
            let socketPath = absolute(directory) + "/link.sock"
            mosquitto.pskListener = .init(
                socketPath: socketPath.utf8.count <= MosquittoConfig.PSKListener.maxSocketPathLength ? socketPath : nil,
                identity: linkTLS.identity, key: linkTLS.key)
            if let tls = configuration.tls {
                for (flag, path) in [("--tls-ca", tls.caFile), ("--tls-cert", tls.certFile), ("--tls-key", tls.keyFile)]
                where !FileManager.default.isReadableFile(atPath: path) {
                    throw GatewayStartError("\(flag) \(path): no such readable file.")
                }
                mosquitto.tls = .init(
                    port: tls.port == 0 ? try FreePort.pick(host: configuration.mqttHost) : tls.port,
                    caFile: absolute(tls.caFile), certFile: absolute(tls.certFile), keyFile: absolute(tls.keyFile),
                    requireCertificate: tls.requireClientCertificate)
            }
            let supervisor = BrokerSupervisor(
                configuration: .init(
                    mosquitto: mosquitto, users: users(catalog: catalog, deviceKey: deviceKey, gatewaySecret: secret),
                    acl: acl(catalog: catalog)),
                logger: logger)
            supervisor.onRestart { count, reason in
                metrics.brokerRestarts.increment()
                logger.error("mosquitto exited unexpectedly and was restarted", metadata: ["restarts": "\(count)", "reason": "\(reason)"])
            }
            do { try await supervisor.start() } catch {
                throw GatewayStartError("\(error)")
            }
            if let tls = mosquitto.tls {
                Console.line("MQTT over TLS listening on \(configuration.mqttHost):\(tls.port)")
            }
            return BrokerEndpoint(
                host: configuration.mqttHost, port: supervisor.port, clientID: "iotgw-ingest", username: gatewayUser,
                password: secret, broker: supervisor, linkHost: supervisor.pskSocketPath ?? "127.0.0.1",
                linkPort: supervisor.pskPort ?? 0, linkTLS: linkTLS, linkMQTT5: true)
        }
    }

    /// The gateway's own user plus one user per registered thing.
    static func users(catalog: DeviceCatalog, deviceKey: [UInt8], gatewaySecret: String) -> [(username: String, password: String)] {
        [(gatewayUser, gatewaySecret)]
            + catalog.things().map { ($0.name, DeviceCredentials.password(for: $0.name, key: deviceKey)) }
    }

    /// Devices may use their own topics only: the defaults plus each type's telemetry topic.
    static func acl(catalog: DeviceCatalog) -> MosquittoACL {
        var patterns = MosquittoACL.defaultDevicePatterns
        for t in catalog.deviceTypes.values.sorted(by: { $0.name < $1.name }) {
            let line = "pattern readwrite " + t.topicTemplate.replacingOccurrences(of: "{thing}", with: "%u")
            if !patterns.contains(line) { patterns.append(line) }
        }
        return MosquittoACL(fullAccessUsers: [gatewayUser], devicePatterns: patterns)
    }
}

/// mosquitto runs with its own working directory expectations: give it absolute paths.
private func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
}
