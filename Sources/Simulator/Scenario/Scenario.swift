/// Everything one `iotsim run` does, resolved from flags and an optional scenario file; sent as
/// JSON to worker processes, which simulate a slice of its devices.
public struct Scenario: Codable, Sendable {
    /// How devices authenticate.
    public enum Credentials: Codable, Sendable, Equatable {
        /// No username or password (a broker that allows anonymous clients).
        case none
        /// One username and password for every device.
        case shared(username: String, password: String)
        /// Username = thing name, password derived from the gateway's `DATA/device.key`.
        case derived(dataDirectory: String)
    }

    /// Client certificate files for `mqtts://` brokers.
    public struct TLSFiles: Codable, Sendable, Equatable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    public var broker: BrokerAddress
    public var tls: TLSFiles?
    public var devicesDirectory: String
    public var fleet: String
    /// The first `count` things of the fleet's id pattern (may exceed the fleet's own count).
    public var count: Int
    /// Messages per second per device; nil uses each device type's interval.
    public var rate: Double?
    /// Overrides the device type's QoS when set.
    public var qos: Int?
    public var seed: UInt64
    /// New connections per second, over all workers.
    public var connectRate: Double
    public var phases: [Phase]
    public var faults: [Fault]
    public var credentials: Credentials
    /// Worker processes to use; nil lets the planner decide.
    public var workers: Int?
    /// How long to wait for outstanding acknowledgements after the last phase.
    public var drainSeconds: Double
    /// Topic filter a probe rule republishes telemetry to; nil measures no end-to-end latency.
    public var probeTopic: String?
    /// Credentials of the probe subscriber (it is not a device, so device ACLs rarely let it read).
    public var probeUsername: String?
    public var probePassword: String?
    /// The gateway's REST API for the shadow convergence probe; nil measures none.
    public var shadowProbeAPI: String?
    public var shadowProbeKey: String?
    public var shadowProbeInterval: Double = 2

    public init(
        broker: BrokerAddress, tls: TLSFiles? = nil, devicesDirectory: String, fleet: String, count: Int, rate: Double? = nil,
        qos: Int? = nil, seed: UInt64, connectRate: Double = 1000, phases: [Phase], faults: [Fault] = [],
        credentials: Credentials = .none, workers: Int? = nil, drainSeconds: Double = 5
    ) {
        self.broker = broker
        self.tls = tls
        self.devicesDirectory = devicesDirectory
        self.fleet = fleet
        self.count = count
        self.rate = rate
        self.qos = qos
        self.seed = seed
        self.connectRate = connectRate
        self.phases = phases
        self.faults = faults
        self.credentials = credentials
        self.workers = workers
        self.drainSeconds = drainSeconds
    }

    /// Length of all phases together.
    public var totalSeconds: Double { phases.reduce(0) { $0 + $1.seconds } }

    /// The phase running at `t` seconds after the phases begin, with its own start; nil after the last.
    public func phase(at t: Double) -> (index: Int, start: Double)? {
        var start = 0.0
        for (i, p) in phases.enumerated() {
            if t < start + p.seconds { return (i, start) }
            start += p.seconds
        }
        return nil
    }
}
