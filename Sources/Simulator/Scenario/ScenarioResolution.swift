import Devices
import Foundation
import IoTCore

extension Scenario {
    public static let defaultBroker = "mqtt://127.0.0.1:1883"
    public static let defaultDuration = 60.0
    public static let defaultConnectRate = 1000.0

    /// Checks `settings` against the device files and fills in defaults; every problem is one clear line.
    public static func resolve(_ settings: ScenarioSettings) throws(SimulationError) -> (Scenario, DeviceCatalog) {
        let brokerText = settings.broker ?? defaultBroker
        guard let broker = BrokerAddress.parse(brokerText) else {
            throw .invalidInput("--broker must look like mqtt://host:port or mqtts://host:port, found \"\(brokerText)\".")
        }
        let directory = settings.devicesDirectory ?? "devices"
        let catalog: DeviceCatalog
        do { catalog = try DeviceCatalog.load(directory: directory) } catch { throw .file(error) }
        guard let fleetName = settings.fleet else {
            let known = catalog.fleets.map(\.name).joined(separator: ", ")
            throw .invalidInput("Name the fleet to simulate with --fleet (fleets in \(directory): \(known.isEmpty ? "none" : known)).")
        }
        guard let fleet = catalog.fleet(named: fleetName) else {
            let known = catalog.fleets.map(\.name).joined(separator: ", ")
            let message = "unknown fleet \"\(fleetName)\" (fleets in \(directory): \(known.isEmpty ? "none" : known))"
            if let at = settings.fleetLocation {
                throw .file(DeviceFileError(.unknownDeviceType, file: at.file, line: at.line, column: at.column, message: message))
            }
            throw .invalidInput(message.prefix(1).uppercased() + message.dropFirst() + ".")
        }
        let count = settings.count ?? fleet.count
        guard count >= 0 else { throw .invalidInput("--count must not be negative.") }
        if let rate = settings.rate, rate <= 0 { throw .invalidInput("--rate must be above zero, e.g. 1/s.") }
        if let qos = settings.qos, !(0...2).contains(qos) { throw .invalidInput("--qos must be 0, 1 or 2.") }
        if let rate = settings.connectRate, rate <= 0 { throw .invalidInput("--connect-rate must be above zero, e.g. 500/s.") }
        if let workers = settings.workers, workers < 1 { throw .invalidInput("--workers must be at least 1.") }
        let credentials: Credentials
        switch (settings.dataDirectory, settings.username) {
        case (.some, .some):
            throw .invalidInput("Use either --data (per-thing credentials from the gateway) or --username/--password, not both.")
        case (.some(let data), nil):
            credentials = .derived(dataDirectory: data)
            try checkRegistered(fleet: fleet, count: count, dataDirectory: data, devicesDirectory: directory)
        case (nil, .some(let user)):
            credentials = .shared(username: user, password: settings.password ?? "")
        case (nil, nil):
            if settings.password != nil { throw .invalidInput("--password needs --username.") }
            credentials = .none
        }
        if let probe = settings.probeTopic, !Topic.isValidFilter(probe) {
            throw .invalidInput("--probe-topic \"\(probe)\" is not a valid MQTT topic filter.")
        }
        let phases = settings.phases ?? [Phase(name: "steady", kind: .steady, seconds: settings.duration ?? defaultDuration)]
        let scenario = Scenario(
            broker: broker, tls: settings.tls, devicesDirectory: directory, fleet: fleetName, count: count, rate: settings.rate,
            qos: settings.qos, seed: settings.seed ?? UInt64.random(in: 0...UInt64(Int64.max)),
            connectRate: settings.connectRate ?? defaultConnectRate, phases: phases, faults: settings.faults ?? [],
            credentials: credentials, workers: settings.workers)
        var resolved = scenario
        resolved.probeTopic = settings.probeTopic
        resolved.probeUsername = settings.probeUsername
        resolved.probePassword = settings.probePassword
        if settings.probeTopic != nil, settings.probeUsername == nil, let data = settings.dataDirectory {
            // Rules republish where no device may read: the probe uses the gateway's own identity.
            guard let secret = GatewayCredentials.load(dataDirectory: data) else {
                throw .invalidInput("--probe-topic with --data needs \(GatewayCredentials.secretPath(dataDirectory: data)); run the gateway with that data folder first, or pass --probe-username/--probe-password.")
            }
            resolved.probeUsername = GatewayCredentials.username
            resolved.probePassword = secret
        }
        if let api = settings.shadowProbeAPI {
            guard let url = URL(string: api), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .invalidInput("--api \"\(api)\" is not an http:// or https:// URL.")
            }
            guard catalog.deviceTypes[fleet.typeName]?.shadow?.applyDesiredDelay != nil else {
                throw .invalidInput(
                    "--api measures shadow convergence, but device type \"\(fleet.typeName)\" has no shadow.applyDesired behaviour.")
            }
            var key = settings.shadowProbeKey
            if key == nil, let data = settings.dataDirectory {
                let path = (data as NSString).appendingPathComponent("admin.key")
                key = (FileManager.default.contents(atPath: path)).flatMap { try? JSONValue.parse(Array($0)) }?["secret"]?.stringValue
            }
            guard let key else { throw .invalidInput("--api needs --api-key (or --data with the gateway's admin.key).") }
            resolved.shadowProbeAPI = api
            resolved.shadowProbeKey = key
            if let i = settings.shadowProbeInterval {
                guard i > 0 else { throw .invalidInput("--shadow-probe-interval must be longer than zero.") }
                resolved.shadowProbeInterval = i
            }
        }
        return (resolved, catalog)
    }

    /// With `--data`, every simulated thing must be one the gateway registered (it has no password otherwise).
    static func checkRegistered(fleet: Fleet, count: Int, dataDirectory: String, devicesDirectory: String) throws(SimulationError) {
        do { _ = try DeviceCredentials.loadKey(dataDirectory: dataDirectory) } catch { throw .invalidInput("--data: \(error)") }
        if count > fleet.count {
            let first = fleet.thingName(ordinal: fleet.count)
            throw .invalidInput("Thing \(first) is not registered with the gateway: fleet \"\(fleet.name)\" in \(devicesDirectory) has \(fleet.count) things; lower --count to \(fleet.count) or raise the fleet's count.")
        }
        // The embedded broker's password file lists exactly the users the gateway registered.
        let passwd = dataDirectory + "/broker/passwd"
        guard let data = FileManager.default.contents(atPath: passwd) else { return }
        let users = Set(String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) })
        for ordinal in 0..<count where !users.contains(fleet.thingName(ordinal: ordinal)) {
            throw .invalidInput("Thing \(fleet.thingName(ordinal: ordinal)) is not registered with the gateway whose data is in \(dataDirectory) (not in \(passwd)); restart the gateway with the same devices folder.")
        }
    }
}
