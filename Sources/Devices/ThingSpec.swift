/// One concrete thing of a fleet, with its resolved telemetry topic.
public struct ThingSpec: Sendable, Hashable {
    public var name: String
    public var typeName: String
    public var fleetName: String
    /// The number in the thing's name (`pump-0007` → 7), i.e. the fleet's `start` plus the ordinal.
    public var index: Int
    public var telemetryTopic: String

    public init(name: String, typeName: String, fleetName: String, index: Int, telemetryTopic: String) {
        self.name = name
        self.typeName = typeName
        self.fleetName = fleetName
        self.index = index
        self.telemetryTopic = telemetryTopic
    }
}
