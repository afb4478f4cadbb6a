import ArgumentParser
import Foundation
import Simulator

/// Started by `iotsim run` itself for each shard of a large fleet; not for direct use.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Internal: simulate an assigned shard.", shouldDisplay: false)

    func run() async throws {
        SimulatorLogging.bootstrap(verbose: false)
        let status = await WorkerMain.run()
        if status != 0 { throw ExitCode(status) }
    }
}
