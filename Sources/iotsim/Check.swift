import ArgumentParser
import Foundation
import Simulator

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate device and scenario files; print file:line: message for each problem.")

    @Argument(help: "Files or folders to check (default: devices).") var paths: [String] = []

    func run() throws {
        let result = FileChecker.check(paths: paths.isEmpty ? ["devices"] : paths)
        if result.problems.isEmpty {
            print(result.summary)
            return
        }
        for problem in result.problems { FileHandle.standardError.write(Data((problem + "\n").utf8)) }
        throw ExitCode.failure
    }
}
