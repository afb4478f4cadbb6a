import Foundation
import IoTCore
import MQTT

/// End-to-end latency: subscribes to the topic a probe rule republishes simulated telemetry to and
/// measures receive time minus the message's `ts` (wall clock, millisecond resolution). Pointed at
/// the telemetry topics themselves, it measures plain broker delivery.
final class Probe: Sendable {
    let filter: String
    private let loop: MQTTEventLoop
    private let client: MQTTClient
    private let figures = LockedValue((received: 0, latency: LatencyHistogram()))

    init(scenario: Scenario, filter: String, username: String?, password: String?) throws(SimulationError) {
        self.filter = filter
        loop = MQTTEventLoop(name: "iotsim-probe")
        var config = ShardEngine.clientConfiguration(scenario: scenario, thing: "iotsim-probe-\(getpid())", key: [])
        config.username = username
        config.password = password
        config.connectTimeout = .seconds(5)
        do { client = try MQTTClient(configuration: config, eventLoop: loop) } catch { throw .invalidInput(error.description) }
        client.onMessage { [figures] message in
            let now = IoTCore.Clock.epochMillis()
            guard let doc = try? JSONValue.parse(message.payload), let ts = doc["ts"]?.intValue else { return }
            figures.withLock { f in
                f.received += 1
                f.latency.record(microseconds: UInt64(max(0, now - ts)) * 1000)
            }
        }
    }

    func start() async throws(SimulationError) {
        do {
            try await client.connect()
            try await client.subscribe(filter, qos: .atLeastOnce)
        } catch {
            await stop()
            throw .connection("The probe subscriber could not subscribe to \(filter): \(error)")
        }
    }

    func stop() async {
        await client.disconnect()
        loop.shutdown()
    }

    var result: (received: Int, latency: LatencyHistogram) { figures.get() }
}
