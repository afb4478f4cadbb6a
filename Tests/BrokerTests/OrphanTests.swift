import Broker
import Foundation
import XCTest

/// Kills a process that supervises a broker with SIGKILL and checks the broker goes too.
///
/// The parent is this test binary itself, re-run with a filter that selects only
/// `testHelperRunsSupervisorUntilKilled` and an environment variable that activates it.
final class OrphanTests: XCTestCase {
    private static let helperVariable = "IOTGW_ORPHAN_HELPER_DIR"

    func testBrokerDiesWhenItsParentIsKilled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orphan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let helper = Process()
        helper.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        helper.arguments = ["BrokerTests.OrphanTests/testHelperRunsSupervisorUntilKilled"]
        helper.environment = ProcessInfo.processInfo.environment.merging([Self.helperVariable: directory]) { $1 }
        helper.standardOutput = FileHandle.nullDevice
        helper.standardError = FileHandle.nullDevice
        try helper.run()
        let pidFile = directory + "/broker.pid"
        try await waitUntil("the helper reports its broker's pid", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: pidFile)
        }
        let brokerPID = try XCTUnwrap(Int32(String(contentsOfFile: pidFile, encoding: .utf8)))
        XCTAssertTrue(isAlive(brokerPID))

        kill(helper.processIdentifier, SIGKILL)
        helper.waitUntilExit()
        try await waitUntil("the broker exits after its parent was killed") { !isAlive(brokerPID) }
    }

    /// Not a test on its own: does nothing unless started by `testBrokerDiesWhenItsParentIsKilled`.
    func testHelperRunsSupervisorUntilKilled() async throws {
        guard let directory = ProcessInfo.processInfo.environment[Self.helperVariable] else { return }
        let supervisor = BrokerSupervisor(configuration: .init(
            mosquitto: MosquittoConfig(directory: directory + "/broker", port: 0),
            users: [("u", "p")], acl: MosquittoACL(fullAccessUsers: ["u"])
        ))
        try await supervisor.start()
        let pid = try XCTUnwrap(supervisor.pid)
        try "\(pid)".write(toFile: directory + "/broker.pid.tmp", atomically: false, encoding: .utf8)
        try FileManager.default.moveItem(atPath: directory + "/broker.pid.tmp", toPath: directory + "/broker.pid")
        // Bounded: if nobody kills this helper, it stops the broker and ends by itself.
        try await Task.sleep(for: .seconds(60))
        await supervisor.stop()
    }
}
