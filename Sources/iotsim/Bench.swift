import ArgumentParser
import Devices
import Foundation
import Simulator

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that drive the gateway with simulated devices.",
        subcommands: [ShadowUpdates.self])

    struct ShadowUpdates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shadow-updates",
            abstract: "Shadow updates over MQTT: accepted updates/s, each persisted and answered on accepted and documents.",
            discussion: """
                Every device publishes --updates two-field reported updates to its classic shadow, one
                at a time at QoS 1. With --reference, the same message count first goes through that
                broker (anonymous access) to one subscriber, and the ratio is printed. With --observe,
                one subscriber with the gateway's own credentials (from DATA) counts the answers instead
                of every device subscribing to its own: the broker's work is the same, the load
                generator's is much smaller.
                """)

        @Option(help: "The gateway's MQTT endpoint, mqtt://host:port.") var broker: String
        @Option(help: "The gateway's data folder (device credentials come from DATA/device.key).") var data: String
        @Option(help: "Folder of device files.") var devices = "devices"
        @Option(help: "Fleet whose first --count things publish.") var fleet: String
        @Option(help: "Number of devices.") var count = 1000
        @Option(help: "Updates per device.") var updates = 20
        @Option(help: "A broker accepting anonymous clients for the reference run, mqtt://host:port.") var reference: String?
        @Flag(help: "Count the answers with one subscriber using the gateway's credentials from DATA.") var observe = false

        func run() async throws {
            let catalog = try DeviceCatalog.load(directory: devices)
            guard let f = catalog.fleet(named: fleet) else { throw ValidationError("No fleet named \(fleet) in \(devices).") }
            let key = try DeviceCredentials.loadKey(dataDirectory: data)
            let things = catalog.things(in: f, count: count).map { ($0.name, DeviceCredentials.password(for: $0.name, key: key)) }
            var bench = ShadowUpdateBenchmark(
                gateway: try endpoint(broker), things: things, updatesPerThing: updates,
                reference: try reference.map(endpoint))
            if observe {
                guard let secret = GatewayCredentials.load(dataDirectory: data) else {
                    throw ValidationError("--observe needs \(GatewayCredentials.secretPath(dataDirectory: data)); run the gateway with --data \(data) first.")
                }
                bench.observer = (GatewayCredentials.username, secret)
            }
            let result = try await bench.run { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            if let raw = result.reference {
                print(String(format: "raw broker: %d msgs in %.2f s = %.0f msg/s", raw.messages, raw.seconds, raw.rate))
            }
            let gw = result.gateway
            print(String(format: "gateway:    %d shadow updates accepted+documents in %.2f s = %.0f updates/s", gw.messages, gw.seconds, gw.rate))
            if let raw = result.reference { print(String(format: "ratio gateway/raw = %.2f", gw.rate / raw.rate)) }
        }

        func endpoint(_ url: String) throws -> ShadowUpdateBenchmark.Endpoint {
            guard let c = URLComponents(string: url), c.scheme == "mqtt", let host = c.host else {
                throw ValidationError("Expected mqtt://host:port, got \(url).")
            }
            return .init(host: host, port: c.port ?? 1883)
        }
    }
}
