/// Where a connection (`MQTTClient` or `MQTTLink`) stands.
enum ConnectionPhase: Equatable {
    /// Not connected and not trying: before `connect()`, or after the first attempt failed.
    case idle
    case connecting(initial: Bool)
    case connected
    case waitingToReconnect
    /// `disconnect()` was called: DISCONNECT is being sent and the connection closed.
    case closing
    case closed
}
