/// A kind of device: what it publishes, where, how often, and how its shadow behaves.
public struct DeviceType: Sendable {
    public var name: String
    public var description: String
    /// An MQTT topic name with one or more whole `{thing}` levels.
    public var topicTemplate: String
    /// Time between two telemetry messages of one device.
    public var interval: Duration
    /// Each interval varies by up to ± this fraction of itself (0…1), so devices do not publish in lockstep.
    public var jitter: Double
    public var qos: Int
    /// Fields in file order; dotted names (`motor.temp`) nest, matching how the gateway names points.
    public var telemetry: [(name: String, generator: GeneratorSpec)]
    public var shadow: ShadowBehaviour?
    /// Where the type is defined.
    public var location: SourceLocation

    public init(
        name: String, description: String = "", topicTemplate: String = DeviceType.defaultTopicTemplate,
        interval: Duration = DeviceType.defaultInterval, jitter: Double = 0, qos: Int = 1,
        telemetry: [(name: String, generator: GeneratorSpec)] = [], shadow: ShadowBehaviour? = nil,
        location: SourceLocation = SourceLocation(file: "", line: 0)
    ) {
        self.name = name
        self.description = description
        self.topicTemplate = topicTemplate
        self.interval = interval
        self.jitter = jitter
        self.qos = qos
        self.telemetry = telemetry
        self.shadow = shadow
        self.location = location
    }

    public static let defaultTopicTemplate = "devices/{thing}/telemetry"
    public static let defaultInterval: Duration = .seconds(5)

    /// The topic `thing` publishes its telemetry on.
    public func telemetryTopic(for thing: String) -> String {
        topicTemplate.replacingAll(DeviceType.thingPlaceholder, with: thing)
    }

    /// A filter matching every thing's telemetry topic (`{thing}` levels become `+`).
    public var telemetryTopicFilter: String {
        topicTemplate.replacingAll(DeviceType.thingPlaceholder, with: "+")
    }

    static let thingPlaceholder = "{thing}"
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
