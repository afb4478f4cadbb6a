extension MQTTClient {
    /// MQTT protocol version sent in CONNECT.
    public enum ProtocolVersion: Sendable, Hashable {
        case v311
        case v5
    }

    /// The message the broker publishes for this client if it disconnects without DISCONNECT.
    public struct Will: Sendable, Hashable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: MQTTQoS
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// TLS settings, passed to `mosquitto_tls_set` / `mosquitto_tls_insecure_set`.
    public struct TLS: Sendable, Hashable {
        /// PEM file of the certificate authorities to trust.
        public var caFile: String?
        /// Directory of hashed CA certificates (alternative to `caFile`).
        public var caPath: String?
        /// Client certificate (PEM), for brokers that require one.
        public var certFile: String?
        /// Private key of `certFile` (PEM, unencrypted).
        public var keyFile: String?
        /// Skips the check that the broker's certificate names `host`; only for tests.
        public var insecure: Bool

        public init(caFile: String? = nil, caPath: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.caPath = caPath
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// Everything a client needs to connect; every field has a default.
    public struct Configuration: Sendable {
        public var host: String = "127.0.0.1"
        public var port: Int = 1883
        /// Empty means "let the broker choose" (only allowed with `cleanSession`).
        public var clientID: String = ""
        public var username: String?
        public var password: String?
        /// Keepalive in seconds (0 disables, otherwise at least 5, as libmosquitto requires).
        public var keepAlive: Int = 30
        /// False keeps the session (subscriptions, queued QoS 1/2 messages) on the broker across
        /// disconnects; needs a fixed `clientID`.
        public var cleanSession: Bool = true
        public var will: Will?
        public var tls: TLS?
        public var protocolVersion: ProtocolVersion = .v311
        /// Delay before the first reconnect attempt; doubles per failed attempt up to `reconnectMaxDelay`.
        public var reconnectMinDelay: Duration = .milliseconds(250)
        public var reconnectMaxDelay: Duration = .seconds(30)
        /// Outgoing QoS 1/2 messages in flight before libmosquitto queues locally (0 = unlimited).
        public var maxInflightMessages: Int = 1000
        /// How long `connect()` (and each reconnect attempt) waits for CONNACK.
        public var connectTimeout: Duration = .seconds(10)

        public init(
            host: String = "127.0.0.1",
            port: Int = 1883,
            clientID: String = "",
            username: String? = nil,
            password: String? = nil,
            keepAlive: Int = 30,
            cleanSession: Bool = true,
            will: Will? = nil,
            tls: TLS? = nil,
            protocolVersion: ProtocolVersion = .v311,
            reconnectMinDelay: Duration = .milliseconds(250),
            reconnectMaxDelay: Duration = .seconds(30),
            maxInflightMessages: Int = 1000,
            connectTimeout: Duration = .seconds(10)
        ) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.username = username
            self.password = password
            self.keepAlive = keepAlive
            self.cleanSession = cleanSession
            self.will = will
            self.tls = tls
            self.protocolVersion = protocolVersion
            self.reconnectMinDelay = reconnectMinDelay
            self.reconnectMaxDelay = reconnectMaxDelay
            self.maxInflightMessages = maxInflightMessages
            self.connectTimeout = connectTimeout
        }

        /// `host:port`, as error messages name the broker.
        public var brokerAddress: String { "\(host):\(port)" }
    }
}
