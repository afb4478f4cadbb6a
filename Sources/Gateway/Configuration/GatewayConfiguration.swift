import Foundation

/// Everything `iotgw serve` can be told; each field has the embedded default.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Where MQTT traffic goes: a mosquitto the gateway runs itself, or one that already runs.
    public enum BrokerMode: Sendable, Equatable {
        case embedded
        case external(url: String)
    }

    /// A second MQTT listener with TLS on the embedded broker (PEM files).
    public struct TLSListener: Sendable, Equatable {
        /// 0 picks a free port.
        public var port: Int
        public var caFile: String
        public var certFile: String
        public var keyFile: String
        /// Devices must also present a certificate signed by `caFile` (plus their password).
        public var requireClientCertificate: Bool

        public init(port: Int, caFile: String, certFile: String, keyFile: String, requireClientCertificate: Bool = false) {
            self.port = port
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.requireClientCertificate = requireClientCertificate
        }
    }

    public var broker: BrokerMode = .embedded
    public var tls: TLSListener?
    public var mqttHost = "127.0.0.1"
    /// 0 picks a free port.
    public var mqttPort = 1883
    public var httpHost = "127.0.0.1"
    /// 0 picks a free port.
    public var httpPort = 8080
    public var dataDirectory = "data"
    public var rulesDirectory = "rules"
    public var devicesDirectory = "devices"
    /// Largest payload the gateway accepts (AWS IoT's limit is 128 KiB).
    public var maxPayloadBytes = 128 * 1024
    /// Most messages committed in one SQLite transaction.
    public var ingestBatchSize = 2000
    /// Messages held in memory before ingest stops reading from the broker (backpressure:
    /// the broker queues for the gateway's persistent session meanwhile).
    public var ingestQueueLimit = 50_000
    /// Messages the embedded broker holds per lagging session before it drops; the
    /// gateway's own session is the one that matters (it lags when ingest is saturated).
    public var brokerMaxQueuedMessages = 1_000_000

    public init() {}

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("iotgw.sqlite") }
    public var brokerDirectory: String { (dataDirectory as NSString).appendingPathComponent("broker") }
    public var adminKeyPath: String { (dataDirectory as NSString).appendingPathComponent("admin.key") }
}
