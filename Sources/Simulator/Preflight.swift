import Devices
import MQTT

/// Connects the run's first device once before starting, so an unreachable broker or refused
/// credentials end the run at once with one clear line instead of thousands of failed connects.
enum Preflight {
    static func check(_ scenario: Scenario, catalog: DeviceCatalog) async throws(SimulationError) {
        guard scenario.count > 0, let fleet = catalog.fleet(named: scenario.fleet) else { return }
        let thing = fleet.thingName(ordinal: 0)
        var key: [UInt8] = []
        if case .derived(let data) = scenario.credentials {
            do { key = try DeviceCredentials.loadKey(dataDirectory: data) } catch { throw .invalidInput("--data: \(error)") }
        }
        var config = ShardEngine.clientConfiguration(scenario: scenario, thing: thing, key: key)
        config.connectTimeout = .seconds(5)
        let loop = MQTTEventLoop(name: "iotsim-preflight")
        defer { loop.shutdown() }
        let client: MQTTClient
        do { client = try MQTTClient(configuration: config, eventLoop: loop) } catch { throw .invalidInput(error.description) }
        do {
            try await client.connect()
            await client.disconnect()
        } catch {
            await client.disconnect()
            if case MQTTError.connectionRefused = error {
                let how: String
                switch scenario.credentials {
                case .derived(let data): how = "with the password derived from \(data)/device.key"
                case .shared(let user, _): how = "as user \(user)"
                case .none: how = "without credentials"
                }
                throw .connection("\(error) (device \(thing) \(how))")
            }
            throw .connection("\(error)")
        }
    }
}
