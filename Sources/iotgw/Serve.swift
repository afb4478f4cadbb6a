import ArgumentParser
import Foundation
import Gateway
import HTTPAPI
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway: broker, ingest, rules and the HTTP API.",
        discussion: """
            Flags override iotgw.yaml (if --config is given), which overrides the defaults.
            A port of 0 picks a free port; the chosen ports are printed. Stop with Ctrl-C (SIGINT)
            or SIGTERM: queued messages are committed and the embedded mosquitto is stopped.
            """)

    @Option(help: "A YAML file of settings (mqttPort, httpPort, data, rules, devices, brokerUrl, …).")
    var config: String?
    @Option(help: "MQTT port of the embedded broker (0: pick a free one). Default 1883.")
    var mqttPort: Int?
    @Option(help: "HTTP API port (0: pick a free one). Default 8080.")
    var httpPort: Int?
    @Option(help: "Data directory: SQLite database, broker files, keys. Default ./data.")
    var data: String?
    @Option(help: "Rules directory, watched for changes. Default ./rules.")
    var rules: String?
    @Option(help: "Device files directory (device types and fleets). Default ./devices.")
    var devices: String?
    @Option(help: "embedded (run mosquitto as a child process) or external (use --broker-url).")
    var broker: BrokerFlag?
    @Option(help: "The external broker, as mqtt://[user:password@]host:port.")
    var brokerUrl: String?
    @Option(help: "Also serve MQTT over TLS on this port of the embedded broker (0: pick a free one); needs --tls-ca, --tls-cert, --tls-key.")
    var mqttsPort: Int?
    @Option(help: "CA certificate (PEM) for the TLS listener; client certificates must be signed by it.")
    var tlsCa: String?
    @Option(help: "Server certificate (PEM) for the TLS listener.")
    var tlsCert: String?
    @Option(help: "Server private key (PEM) for the TLS listener.")
    var tlsKey: String?
    @Flag(help: "Devices on the TLS listener must present a client certificate signed by --tls-ca (and their password).")
    var requireClientCert = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    enum BrokerFlag: String, ExpressibleByArgument, CaseIterable { case embedded, external }

    func validate() throws {
        if broker == .external && brokerUrl == nil {
            throw ValidationError("--broker external needs --broker-url mqtt://host:port.")
        }
        if mqttsPort != nil && (tlsCa == nil || tlsCert == nil || tlsKey == nil) {
            throw ValidationError("--mqtts-port needs --tls-ca, --tls-cert and --tls-key.")
        }
        if mqttsPort != nil && broker == .external {
            throw ValidationError("--mqtts-port configures the embedded broker; an external broker has its own TLS settings.")
        }
        if mqttsPort == nil && (tlsCa != nil || tlsCert != nil || tlsKey != nil || requireClientCert) {
            throw ValidationError("The --tls-… options configure the TLS listener: add --mqtts-port.")
        }
        for (name, port) in [("--mqtt-port", mqttPort), ("--http-port", httpPort), ("--mqtts-port", mqttsPort)] {
            if let port, !(0...65535).contains(port) { throw ValidationError("\(name) must be from 0 to 65535.") }
        }
    }

    func run() async throws {
        var configuration = GatewayConfiguration()
        if let config { try configuration.apply(file: config) }
        if let mqttPort { configuration.mqttPort = mqttPort }
        if let httpPort { configuration.httpPort = httpPort }
        if let data { configuration.dataDirectory = data }
        if let rules { configuration.rulesDirectory = rules }
        if let devices { configuration.devicesDirectory = devices }
        if let brokerUrl, broker != .embedded { configuration.broker = .external(url: brokerUrl) }
        if let mqttsPort, let tlsCa, let tlsCert, let tlsKey {
            configuration.tls = .init(
                port: mqttsPort, caFile: tlsCa, certFile: tlsCert, keyFile: tlsKey, requireClientCertificate: requireClientCert)
        }
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            try await GatewayServer.run(configuration: configuration, logger: Logger(label: "iotgw"))
        } catch let error as GatewayStartError {
            // Start-up problems are the user's to fix: one clear line, no stack trace.
            FileHandle.standardError.write(Data("iotgw: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
