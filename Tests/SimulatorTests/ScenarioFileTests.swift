import Devices
import Foundation
import Simulator
import Testing

@Suite struct ScenarioFileTests {
    @Test func phasesAndFaultsAreRead() throws {
        let s = try ScenarioFile.parse("""
            fleet: pumps
            count: 100
            rate: 2/s
            seed: 9
            connectRate: 50/s
            phases:
              - { name: warm, kind: ramp, duration: 10s, from: 0/s, to: 2/s }
              - { duration: 20s }
              - { kind: spike, duration: 5s, rate: 20/s }
              - { kind: idle, duration: 1m }
            faults:
              - { kind: disconnect, at: 15s, fraction: 0.2, pause: 2s }
              - { kind: malformed, fraction: 0.01 }
              - { kind: clockSkew, fraction: 0.1, skew: -5m }
              - { kind: silent, at: 20s, duration: 10s, fraction: 0.5 }
            """, file: "s.yaml")
        #expect(s.fleet == "pumps" && s.count == 100 && s.rate == 2 && s.seed == 9 && s.connectRate == 50)
        #expect(s.phases?.map(\.kind) == [.ramp, .steady, .spike, .idle])
        #expect(s.phases?[3].seconds == 60)
        #expect(s.phases?[1].name == "steady-2")
        #expect(s.faults?[0] == Fault(kind: .disconnect, fraction: 0.2, at: 15, pauseSeconds: 2))
        #expect(s.faults?[2].skewSeconds == -300)
        #expect(s.faults?[3].isActive(at: 25) == true && s.faults?[3].isActive(at: 30) == false)
    }

    static let bad: [(String, Int, String)] = [
        ("fleet: p\nphases:\n  - { kind: rampp, duration: 1s }\n", 3, "unknown phase kind \"rampp\""),
        ("fleet: p\nrate: fast\n", 2, "expected a rate such as 10/s"),
        ("fleet: p\nfaults:\n  - { kind: silent, fraction: 2 }\n", 3, "\"fraction\" of fault \"silent\" must be between 0 and 1"),
        ("fleet: p\nfaults:\n  - { kind: meteor, fraction: 0.1 }\n", 3, "unknown fault kind \"meteor\""),
        ("fleet: p\nspeed: 3\n", 2, "unknown key \"speed\" in the scenario"),
        ("fleet: p\nphases:\n  - { kind: spike, duration: 1s }\n", 3, "missing key \"rate\" in spike phase"),
        ("fleet: p\nduration: 1s\nphases: []\n", 3, "give either \"duration\" or \"phases\""),
        ("fleet: p\nbroker: http://x\n", 2, "\"broker\" must look like mqtt://host:port"),
    ]

    @Test(arguments: 0..<bad.count) func badScenarioNamesFileAndLine(_ i: Int) {
        let (text, line, says) = Self.bad[i]
        #expect {
            _ = try ScenarioFile.parse(text, file: "s.yaml")
        } throws: { error in
            let d = (error as? DeviceFileError)?.description ?? ""
            return d.hasPrefix("s.yaml:\(line): ") && d.contains(says)
        }
    }

    @Test func scheduleSpreadsPhasesAndSkipsIdle() {
        let scenario = Scenario(
            broker: BrokerAddress(host: "h", port: 1), devicesDirectory: "d", fleet: "f", count: 1, seed: 1,
            phases: [Phase(name: "a", kind: .steady, seconds: 10, rateFrom: 1), Phase(name: "i", kind: .idle, seconds: 10),
                     Phase(name: "r", kind: .ramp, seconds: 10, rateFrom: 0, rateTo: 2)])
        #expect(scenario.nextSend(after: 0, base: 5, u: 0.5) == 1)
        // From the last steady send, the idle phase is skipped and the ramp starts part-way into its first interval.
        let next = scenario.nextSend(after: 9.5, base: 5, u: 0.5)!
        #expect(next > 20 && next < 21.6)
        // A ramp from 0 to 2/s over 10 s sends 10 messages.
        var t = 20.0
        var sent = 0
        while let n = scenario.nextSend(after: t, base: 5, u: 1), n < 30 { t = n; sent += 1 }
        #expect((9...10).contains(sent))
    }

    @Test func plannerShardsByFileDescriptorsAndCores() throws {
        let planner = ShardPlanner(fdLimit: 20_000, cores: 2)
        #expect(planner.capacityPerProcess == 6600)
        #expect(try planner.plan(devices: 500).count == 1)
        #expect(try planner.plan(devices: 10_000) == [0..<5000, 5000..<10_000])
        #expect(try planner.plan(devices: 20_000).count == 4)
        #expect(throws: SimulationError.self) { try planner.plan(devices: 10_000, forced: 1) }
    }

    @Test func checkReportsBadFilesAndAcceptsTheShippedOnes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "deviceTypes:\n  - name: t\n    telemetry:\n      x: { generator: gausian }\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try "fleet: nope\nduration: 1s\n".write(toFile: dir + "/s.yaml", atomically: true, encoding: .utf8)
        let result = FileChecker.check(paths: [dir])
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.hasPrefix("\(dir)/a.yaml:4: unknown generator \"gausian\"") == true)
        try "deviceTypes:\n  - name: t\nfleets:\n  - { name: f, type: t, count: 1, idPattern: \"f{0}\" }\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        #expect(FileChecker.check(paths: [dir]).problems == ["\(dir)/s.yaml:1: unknown fleet \"nope\" (known: f)"])
    }
}
