extension MQTTLink {
    /// Everything a link needs to connect; every field has a default.
    public struct Configuration: Sendable {
        /// A name or address, or the path of a Unix domain socket (starting with `/`; `port` is
        /// then unused).
        public var host = "127.0.0.1"
        public var port = 1883
        /// Empty lets the broker choose (only with `cleanSession`).
        public var clientID = ""
        public var username: String?
        public var password: String?
        /// Seconds (0 disables): a PINGREQ goes out when nothing was sent or received for this long,
        /// and the connection counts as lost when nothing arrived from the broker for 1.5 times it.
        public var keepAlive: Int = 30
        /// False keeps the session (subscriptions, queued QoS 1 messages) on the broker across
        /// disconnects; needs a fixed `clientID`.
        public var cleanSession = true
        /// How long `connect()`, and each reconnect attempt, waits for TCP and CONNACK together.
        public var connectTimeout: Duration = .seconds(10)
        /// Delay before the first reconnect attempt; doubles per failed attempt up to `reconnectMaxDelay`
        /// (each delay is then scaled by a random factor in 0.5...1).
        public var reconnectMinDelay: Duration = .milliseconds(100)
        public var reconnectMaxDelay: Duration = .seconds(30)
        /// Outgoing QoS 1 publishes awaiting PUBACK (at most 65,000, leaving packet ids for
        /// SUBSCRIBE); more are queued in order and sent as acknowledgements return.
        public var maxInflight = 1000
        /// Incoming packets larger than this many bytes (fixed header included) close the connection.
        public var maxPacketSize = 268_435_455
        /// After a read that brought less than a full chunk, the thread waits this long before
        /// the next one so that more packets arrive together (zero: never waits). Under a steady
        /// trickle of small packets this trades at most this much latency for far fewer
        /// `poll`/`read`/`send` calls per packet; an idle link still answers its first packet at once.
        public var coalescingDelay: Duration = .zero
        /// TLS with a pre-shared key; nil is plain TCP.
        public var tls: TLS?
        /// MQTT 5 is needed for `subscribe(noLocal: true)`. With it, `cleanSession` false asks for a
        /// session that never expires.
        public var protocolVersion: ProtocolVersion = .v311

        public init() {}

        public enum ProtocolVersion: Sendable, Hashable {
            case v311
            case v5
        }

        var v5: Bool { protocolVersion == .v5 }

        var isUnixSocket: Bool { host.hasPrefix("/") }

        /// `host:port` (or `unix:path`), as error messages and events name the broker.
        public var brokerAddress: String { isUnixSocket ? "unix:\(host)" : "\(host):\(port)" }

        /// Checks what CONNECT cannot carry, before any I/O.
        func validate() throws(MQTTError) {
            if isUnixSocket {
                if case .failure(let error) = LinkSocket.unixAddress(path: host) {
                    throw .invalidConfiguration(field: "host", reason: error.reason)
                }
            } else if !(1...65535).contains(port) {
                throw .invalidConfiguration(field: "port", reason: "\(port) is not a TCP port (1...65535)")
            }
            if !(0...65535).contains(keepAlive) {
                throw .invalidConfiguration(field: "keepAlive", reason: "\(keepAlive) is outside 0...65535 seconds")
            }
            if clientID.isEmpty && !cleanSession {
                throw .invalidConfiguration(field: "clientID", reason: "a persistent session (cleanSession false) needs a non-empty clientID")
            }
            try tls?.validate()
            for (field, value) in [("clientID", clientID), ("username", username ?? ""), ("password", password ?? "")] where value.utf8.count > 65535 {
                throw .invalidConfiguration(field: field, reason: "it is longer than 65,535 bytes")
            }
        }

        /// `maxInflight` within 1...65,000.
        var inflightLimit: Int { min(max(maxInflight, 1), 65_000) }
    }
}
