import Foundation
import XCTest

/// Runs a command (mosquitto_pub, mosquitto_sub, …) and returns its exit status and standard output.
func runCommand(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let finished = AsyncStream<Void> { continuation in
        process.terminationHandler = { _ in continuation.finish() }
    }
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    for await _ in finished {}
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// True while a process with `pid` exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes (then fails the test).
func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline {
            XCTFail("Timed out waiting until \(what).", file: file, line: line)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
