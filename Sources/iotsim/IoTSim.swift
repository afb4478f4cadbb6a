import ArgumentParser
import Simulator

@main
struct IoTSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iotsim",
        abstract: "Simulate device fleets from devices/ files against the gateway or any MQTT broker.",
        subcommands: [Run.self, Check.self, Bench.self, Worker.self])
}
