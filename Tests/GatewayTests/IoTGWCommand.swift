import Foundation
import GatewayTesting

/// Runs the built `iotgw` with arguments; returns stdout, throws with stderr on failure.
func runIoTGW(_ arguments: [String]) throws -> String {
    let r = try runIoTGWResult(arguments)
    guard r.status == 0 else {
        throw TestGateway.Failure(description: "iotgw \(arguments) exited \(r.status): \(r.stderr)")
    }
    return r.stdout
}

/// Runs the built `iotgw` and returns its exit status, stdout and stderr.
func runIoTGWResult(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: TestGateway.binaryPath())
    p.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
