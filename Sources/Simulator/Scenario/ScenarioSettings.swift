import Devices

/// What a scenario file or the command line sets; nil means "not set here". Flags override the file.
public struct ScenarioSettings: Sendable {
    public var broker: String?
    public var devicesDirectory: String?
    public var fleet: String?
    public var count: Int?
    public var rate: Double?
    public var qos: Int?
    public var seed: UInt64?
    public var connectRate: Double?
    public var duration: Double?
    public var phases: [Phase]?
    public var faults: [Fault]?
    public var username: String?
    public var password: String?
    public var dataDirectory: String?
    public var tls: Scenario.TLSFiles?
    public var workers: Int?
    public var probeTopic: String?
    public var probeUsername: String?
    public var probePassword: String?
    public var shadowProbeAPI: String?
    public var shadowProbeKey: String?
    public var shadowProbeInterval: Double?
    /// Where the scenario file names its fleet, so an unknown fleet is reported at that line.
    public var fleetLocation: SourceLocation?

    public init() {}

    /// Seconds in a duration text such as `500ms`, `30s` or `5m`; nil when it is not one.
    public static func seconds(_ text: String) -> Double? { DurationText.parse(text)?.inSeconds }

    /// These settings with every value `other` sets replacing this one's.
    public func overridden(by other: ScenarioSettings) -> ScenarioSettings {
        var s = self
        if let v = other.broker { s.broker = v }
        if let v = other.devicesDirectory { s.devicesDirectory = v }
        if let v = other.fleet { s.fleet = v; s.fleetLocation = other.fleetLocation }
        if let v = other.count { s.count = v }
        if let v = other.rate { s.rate = v }
        if let v = other.qos { s.qos = v }
        if let v = other.seed { s.seed = v }
        if let v = other.connectRate { s.connectRate = v }
        if let v = other.duration { s.duration = v; s.phases = nil }
        if let v = other.phases { s.phases = v }
        if let v = other.faults { s.faults = v }
        if let v = other.username { s.username = v }
        if let v = other.password { s.password = v }
        if let v = other.dataDirectory { s.dataDirectory = v }
        if let v = other.tls { s.tls = v }
        if let v = other.workers { s.workers = v }
        if let v = other.probeTopic { s.probeTopic = v }
        if let v = other.probeUsername { s.probeUsername = v }
        if let v = other.probePassword { s.probePassword = v }
        if let v = other.shadowProbeAPI { s.shadowProbeAPI = v }
        if let v = other.shadowProbeKey { s.shadowProbeKey = v }
        if let v = other.shadowProbeInterval { s.shadowProbeInterval = v }
        return s
    }
}
