/// A change of a client's connection, reported to the handler given to `MQTTClient.onConnectionEvent`.
public enum MQTTConnectionEvent: Sendable, Equatable {
    /// CONNACK accepted; `sessionPresent` is the broker's flag (a persistent session was resumed).
    case connected(sessionPresent: Bool)
    /// The connection was lost (or a reconnect attempt failed); `reason` is a sentence.
    case disconnected(reason: String)
    /// A reconnect attempt is scheduled after `delay`; `attempt` counts from 1.
    case reconnecting(attempt: Int, delay: Duration)
    /// `disconnect()` finished; the client will not connect again.
    case closed
}
