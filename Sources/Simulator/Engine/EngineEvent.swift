import MQTT

/// What a client's handlers report to the engine. Handlers only queue these: libmosquitto may call
/// them from inside a publish the engine makes while holding its own lock.
enum EngineEvent: Sendable {
    case ack(device: Int32, generation: UInt32, mid: Int32, at: UInt64, reasonCode: Int32)
    case connection(device: Int32, generation: UInt32, event: MQTTConnectionEvent)
    case delta(device: Int32, generation: UInt32, payload: [UInt8])
}

/// A message sent and not yet acknowledged.
struct Inflight: Sendable {
    var mid: Int32
    var sentAt: UInt64
    var phase: Int16
    var telemetry: Bool
}
