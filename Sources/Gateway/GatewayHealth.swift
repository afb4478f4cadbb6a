/// What `/health` reports.
public struct GatewayHealth: Sendable, Equatable {
    public var brokerConnected: Bool
    public var brokerMode: String
    public var databaseOK: Bool
    public var ingestQueueDepth: Int

    public var isHealthy: Bool { brokerConnected && databaseOK }
}
