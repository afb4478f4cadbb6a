import Foundation

/// One `iotsim worker` child: its stdin for commands and its stdout read as report lines.
final class WorkerProcess: Sendable {
    let index: Int
    let process: Process
    private let input: FileHandle
    let reports: LineChannel

    init(index: Int, executable: String) throws(SimulationError) {
        self.index = index
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["worker"]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do { try process.run() } catch {
            throw .worker("Cannot start worker process \(executable): \(error.localizedDescription).")
        }
        self.process = process
        input = stdin.fileHandleForWriting
        reports = LineChannel(fd: stdout.fileHandleForReading.fileDescriptor)
    }

    func send(_ command: WorkerCommand) {
        try? input.write(contentsOf: JSONLines.encode(command))
    }

    /// The next report; nil when the worker closed its stdout (exited or crashed).
    func next() async -> WorkerReport? {
        while let line = await reports.next() {
            if let report = JSONLines.decode(WorkerReport.self, line) { return report }
        }
        return nil
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    func waitForExit() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}
