import IoTCore
import MQTT

/// The mutable part of a `ShardEngine`, one slot per device, guarded by the engine's mutex.
struct EngineState: Sendable {
    var clients: [MQTTClient?]
    /// Bumped whenever a device gets a new client, so late events from the old one are ignored.
    var generation: [UInt32]
    var online: [Bool]
    var everConnected: [Bool]
    var generators: [TelemetryGenerator]
    var seq: [Int64]
    var inflight: [[Inflight]]
    var reported: [JSONObject?]
    var heap: DueHeap
    var figures = ShardFigures()
    var recent = LatencyHistogram()
    var buffer: [UInt8] = []
    /// Jitter and malformed-payload draws; apart from the devices' own streams so those stay reproducible.
    var random: SeededRandom
    var t0: UInt64?
    var running = false
    var stopping = false
    var closed = false
    var stormsDone: Set<Int> = []

    init(devices: Int, phases: Int, generators: [TelemetryGenerator], seed: UInt64) {
        clients = Array(repeating: nil, count: devices)
        generation = Array(repeating: 0, count: devices)
        online = Array(repeating: false, count: devices)
        everConnected = Array(repeating: false, count: devices)
        self.generators = generators
        seq = Array(repeating: 0, count: devices)
        inflight = Array(repeating: [], count: devices)
        reported = Array(repeating: nil, count: devices)
        heap = DueHeap(capacity: devices)
        random = SeededRandom(seed: seed, stream: 0xE7)
        figures.phases = Array(repeating: PhaseFigures(), count: phases)
        buffer.reserveCapacity(512)
    }

    mutating func connectFailed(_ message: String, device: Int? = nil, generation current: UInt32? = nil) {
        if let device, let current, generation[device] == current { clients[device] = nil }
        figures.connectFailed += 1
        figures.note(error: message)
    }

    /// Counts the device's unacknowledged telemetry as failed (its client is gone or the run is over).
    mutating func failInflight(device d: Int) {
        for entry in inflight[d] where entry.telemetry {
            figures.failed += 1
            figures.phases[Int(entry.phase)].failed += 1
        }
        inflight[d].removeAll()
    }
}
