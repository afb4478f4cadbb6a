/// The whole result of a run, as `--json FILE` writes it.
public struct SimulationReport: Codable, Sendable {
    public struct Config: Codable, Sendable {
        public var broker: String
        public var devices: String
        public var fleet: String
        public var count: Int
        public var ratePerDevice: Double?
        public var qos: Int?
        public var seed: UInt64
        public var connectRate: Double
        public var durationSeconds: Double
        public var workers: Int
        public var credentials: String
        public var faults: [Fault]
    }

    public struct Devices: Codable, Sendable {
        public var requested: Int
        public var connected: Int
        public var connectFailed: Int
        public var disconnects: Int
        public var reconnects: Int
        public var silenced: Int
    }

    public struct Messages: Codable, Sendable {
        public var sent: Int
        public var acked: Int
        public var failed: Int
        public var malformed: Int
        public var skippedOffline: Int
        public var bytes: Int
        /// Acknowledged messages per second, over the phases plus the time the last acknowledgements took.
        public var ackedPerSecond: Double
    }

    public struct Latency: Codable, Sendable {
        public var publishAck: LatencySummary
        public var connect: LatencySummary
        /// Send (`ts`) to arrival on the probe topic; only with `--probe-topic`.
        public var endToEnd: LatencySummary?
        /// REST `desired` update to the device's matching `reported`; only with `--api`.
        public var shadowConvergence: LatencySummary?
    }

    /// What the shadow convergence probe did.
    public struct ShadowProbeFigures: Codable, Sendable {
        public var sent: Int
        public var converged: Int
        public var timedOut: Int
    }

    /// What the probe subscriber received.
    public struct ProbeFigures: Codable, Sendable {
        public var topic: String
        public var received: Int
    }

    public struct Shadow: Codable, Sendable {
        public var reportsSent: Int
        public var deltasReceived: Int
    }

    public struct PhaseReport: Codable, Sendable {
        public var name: String
        public var kind: Phase.Kind
        public var seconds: Double
        public var sent: Int
        public var acked: Int
        public var failed: Int
        public var ackedPerSecond: Double
        public var latencyMs: [String: LatencySummary]
    }

    public var config: Config
    public var devices: Devices
    public var messages: Messages
    public var latencyMs: Latency
    public var shadow: Shadow
    public var phases: [PhaseReport]
    public var probe: ProbeFigures?
    public var shadowProbe: ShadowProbeFigures?
    /// Seconds spent connecting the devices, before the phases.
    public var connectSeconds: Double
    /// Seconds after the last phase until the last acknowledgement arrived (or the drain timeout).
    public var drainSeconds: Double
    public var errors: [String]

    public init(scenario: Scenario, workers: Int, figures f: ShardFigures, connectSeconds: Double) {
        let credentials: String
        switch scenario.credentials {
        case .none: credentials = "none"
        case .shared: credentials = "shared"
        case .derived: credentials = "derived"
        }
        config = Config(
            broker: scenario.broker.description, devices: scenario.devicesDirectory, fleet: scenario.fleet, count: scenario.count,
            ratePerDevice: scenario.rate, qos: scenario.qos, seed: scenario.seed, connectRate: scenario.connectRate,
            durationSeconds: scenario.totalSeconds, workers: workers, credentials: credentials, faults: scenario.faults)
        devices = Devices(requested: scenario.count, connected: f.connected, connectFailed: f.connectFailed,
                          disconnects: f.disconnects, reconnects: f.reconnects, silenced: f.silenced)
        let seconds = max(scenario.totalSeconds + f.drainSeconds, 1e-9)
        messages = Messages(sent: f.sent, acked: f.acked, failed: f.failed, malformed: f.malformed, skippedOffline: f.skippedOffline,
                            bytes: f.bytes, ackedPerSecond: Self.round(Double(f.acked) / seconds))
        latencyMs = Latency(publishAck: f.publishAck.summary, connect: f.connect.summary)
        shadow = Shadow(reportsSent: f.shadowReports, deltasReceived: f.shadowDeltas)
        phases = scenario.phases.enumerated().map { i, p in
            let pf = i < f.phases.count ? f.phases[i] : PhaseFigures()
            return PhaseReport(name: p.name, kind: p.kind, seconds: p.seconds, sent: pf.sent, acked: pf.acked, failed: pf.failed,
                               ackedPerSecond: Self.round(Double(pf.acked) / max(p.seconds, 1e-9)),
                               latencyMs: ["publishAck": pf.publishAck.summary])
        }
        self.connectSeconds = Self.round(connectSeconds)
        drainSeconds = Self.round(f.drainSeconds)
        errors = f.errors
    }

    static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
