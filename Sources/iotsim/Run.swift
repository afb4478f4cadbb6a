import ArgumentParser
import Foundation
import Simulator

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect a fleet of simulated devices and publish telemetry; print a summary.",
        discussion: """
            Flags override the values of a --scenario file. Example:
              iotsim run --fleet pumps --count 1000 --rate 10/s --duration 60s --json report.json
            """)

    @Option(help: "Broker URL, mqtt://host:port or mqtts://host:port (default mqtt://127.0.0.1:1883).") var broker: String?
    @Option(help: "Folder of device files (default ./devices).") var devices: String?
    @Option(help: "Scenario YAML file with phases and faults.") var scenario: String?
    @Option(help: "Fleet to simulate.") var fleet: String?
    @Option(help: "Simulate the first N things of the fleet's id pattern (default: the fleet's count).") var count: Int?
    @Option(help: "Messages per second per device, e.g. 10/s (default: the device type's interval).") var rate: String?
    @Option(help: "How long to publish, e.g. 60s or 5m (default 60s).") var duration: String?
    @Option(help: "QoS for telemetry, overriding the device type's.") var qos: Int?
    @Option(help: "Gateway data folder: use per-thing credentials derived from DATA/device.key.") var data: String?
    @Option(help: "One username for every device (instead of --data).") var username: String?
    @Option(help: "Password for --username.") var password: String?
    @Option(help: "Seed for reproducible values and faults (default: random, printed in the report).") var seed: UInt64?
    @Option(name: .customLong("connect-rate"), help: "New connections per second, e.g. 500/s (default 1000/s).") var connectRate: String?
    @Option(help: "Worker processes (default: as many as the open-files limit and cores call for).") var workers: Int?
    @Option(help: "CA certificate (PEM) for mqtts://.") var cafile: String?
    @Option(help: "Client certificate (PEM) for mqtts://.") var cert: String?
    @Option(help: "Client key (PEM) for mqtts://.") var key: String?
    @Option(name: .customLong("probe-topic"), help: "Measure end-to-end latency on this topic filter (where a probe rule republishes telemetry).") var probeTopic: String?
    @Option(name: .customLong("probe-username"), help: "Username of the probe subscriber.") var probeUsername: String?
    @Option(name: .customLong("probe-password"), help: "Password of the probe subscriber.") var probePassword: String?
    @Option(help: "The gateway's REST API (http://host:port): measure desired -> reported convergence of shadow devices through it.") var api: String?
    @Option(name: .customLong("api-key"), help: "API key for --api (default: the admin key in --data).") var apiKey: String?
    @Option(name: .customLong("shadow-probe-interval"), help: "Seconds between shadow convergence samples with --api (default 2).") var shadowProbeInterval: Double?
    @Option(help: "Write the full report as JSON to this file.") var json: String?
    @Flag(help: "No live status line.") var quiet = false
    @Flag(help: "Log connection warnings.") var verbose = false

    func run() async throws {
        SimulatorLogging.bootstrap(verbose: verbose)
        do {
            var settings = ScenarioSettings()
            if let scenario { settings = try ScenarioFile.load(path: scenario) }
            settings = settings.overridden(by: try flags())
            let (resolved, catalog) = try Scenario.resolve(settings)
            let simulation = Simulation(
                scenario: resolved, catalog: catalog, workerExecutable: "/proc/self/exe",
                status: quiet ? StatusPrinter(mode: .quiet) : .automatic())
            let report = try await simulation.run()
            print(SummaryTable.render(report))
            if let json { try write(report, to: json) }
        } catch {
            fail("\(error)")
        }
    }

    private func flags() throws(SimulationError) -> ScenarioSettings {
        var s = ScenarioSettings()
        s.broker = broker
        s.devicesDirectory = devices
        s.fleet = fleet
        s.count = count
        if let rate {
            guard let r = RateText.parse(rate) else { throw .invalidInput("--rate must look like 10/s, 30/m or 100/h, found \"\(rate)\".") }
            s.rate = r
        }
        if let duration {
            guard let seconds = ScenarioSettings.seconds(duration), seconds > 0 else {
                throw .invalidInput("--duration must look like 30s, 500ms or 5m, found \"\(duration)\".")
            }
            s.duration = seconds
        }
        if let connectRate {
            guard let r = RateText.parse(connectRate) else {
                throw .invalidInput("--connect-rate must look like 500/s, found \"\(connectRate)\".")
            }
            s.connectRate = r
        }
        s.qos = qos
        s.dataDirectory = data
        s.username = username
        s.password = password
        s.seed = seed
        s.workers = workers
        s.probeTopic = probeTopic
        s.probeUsername = probeUsername
        s.probePassword = probePassword
        s.shadowProbeAPI = api
        s.shadowProbeKey = apiKey
        s.shadowProbeInterval = shadowProbeInterval
        if cafile != nil || cert != nil || key != nil {
            s.tls = Scenario.TLSFiles(caFile: cafile, certFile: cert, keyFile: key)
        }
        return s
    }

    private func write(_ report: SimulationReport, to path: String) throws(SimulationError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        } catch {
            throw .invalidInput("Cannot write the report to \(path): \(error.localizedDescription).")
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("iotsim: error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
