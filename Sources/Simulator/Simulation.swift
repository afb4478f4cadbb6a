import Devices
import Foundation
import IoTCore

/// Runs a scenario: checks the broker, splits devices over processes, shows live status and
/// returns the merged report.
public struct Simulation: Sendable {
    public var scenario: Scenario
    public var catalog: DeviceCatalog
    /// The `iotsim` binary to start as `iotsim worker`; nil runs everything in this process.
    public var workerExecutable: String?
    public var status: StatusPrinter
    public var planner: ShardPlanner

    public init(scenario: Scenario, catalog: DeviceCatalog, workerExecutable: String? = nil,
                status: StatusPrinter = StatusPrinter(mode: .quiet), planner: ShardPlanner = ShardPlanner()) {
        self.scenario = scenario
        self.catalog = catalog
        self.workerExecutable = workerExecutable
        self.status = status
        self.planner = planner
    }

    public func run() async throws(SimulationError) -> SimulationReport {
        ShardPlanner.raiseOpenFileLimit()
        let shards = try planner.plan(devices: scenario.count, forced: scenario.workers ?? (workerExecutable == nil ? 1 : nil))
        try await Preflight.check(scenario, catalog: catalog)
        var probe: Probe?
        if let filter = scenario.probeTopic {
            let p = try Probe(scenario: scenario, filter: filter, username: scenario.probeUsername, password: scenario.probePassword)
            try await p.start()
            probe = p
        }
        var shadowProbe: ShadowProbe?
        if let api = scenario.shadowProbeAPI, let key = scenario.shadowProbeKey {
            let things = catalog.fleet(named: scenario.fleet).map { catalog.things(in: $0, count: scenario.count).map(\.name) } ?? []
            let p = ShadowProbe(api: api, apiKey: key, things: things, interval: .milliseconds(Int(scenario.shadowProbeInterval * 1000)))
            p.start()
            shadowProbe = p
        }
        var report: SimulationReport
        do throws(SimulationError) {
            if shards.count == 1 && (workerExecutable == nil || scenario.workers == nil) {
                report = try await runInProcess()
            } else {
                guard let executable = workerExecutable else {
                    throw SimulationError.invalidInput("\(scenario.count) devices need \(shards.count) processes, but no worker executable was given.")
                }
                report = try await runWorkers(shards, executable: executable)
            }
        } catch {
            await probe?.stop()
            _ = await shadowProbe?.stop()
            throw error
        }
        if let shadowProbe {
            let f = await shadowProbe.stop()
            report.shadowProbe = SimulationReport.ShadowProbeFigures(sent: f.sent, converged: f.converged, timedOut: f.timedOut)
            report.latencyMs.shadowConvergence = f.latency.summary
        }
        if let probe {
            // Republished copies trail the acknowledgements; give the last ones a moment.
            let deadline = IoTCore.Clock.monotonicNanos() + 3_000_000_000
            while probe.result.received < report.messages.acked && IoTCore.Clock.monotonicNanos() < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            let (received, latency) = probe.result
            report.latencyMs.endToEnd = latency.summary
            report.probe = SimulationReport.ProbeFigures(topic: probe.filter, received: received)
            await probe.stop()
        }
        return report
    }

    /// Updates the status line once a second with the current stage and `figures()`.
    private func startTicker(
        stage: LockedValue<(String, UInt64, Double?)>,
        figures: @escaping @Sendable () -> (ShardFigures, LatencyHistogram)
    ) -> Task<Void, Never> {
        Task { [status, scenario] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let (name, since, total) = stage.get()
                let (current, recent) = figures()
                status.update(stage: name, elapsed: Double(IoTCore.Clock.monotonicNanos() - since) / 1e9, total: total,
                              requested: scenario.count, figures: current, recent: recent)
            }
        }
    }

    private func runInProcess() async throws(SimulationError) -> SimulationReport {
        let engine = try ShardEngine(scenario: scenario, catalog: catalog, ordinals: 0..<scenario.count)
        let started = IoTCore.Clock.monotonicNanos()
        let stage = LockedValue(("connect", started, Optional<Double>.none))
        let ticker = startTicker(stage: stage) { engine.figures() }
        await engine.connectAll(connectRate: scenario.connectRate)
        let connectSeconds = Double(IoTCore.Clock.monotonicNanos() - started) / 1e9
        let connected = engine.figures().total
        if scenario.count > 0 && connected.connected == 0 {
            ticker.cancel()
            await engine.shutdown()
            status.finish()
            throw .connection("No device could connect to \(scenario.broker): \(connected.errors.first ?? "no reason given").")
        }
        stage.set(("run", IoTCore.Clock.monotonicNanos(), scenario.totalSeconds))
        await engine.runPhases()
        ticker.cancel()
        let figures = engine.figures().total
        await engine.shutdown()
        status.finish()
        return SimulationReport(scenario: scenario, workers: 1, figures: figures, connectSeconds: connectSeconds)
    }

    private func runWorkers(_ shards: [Range<Int>], executable: String) async throws(SimulationError) -> SimulationReport {
        var workers: [WorkerProcess] = []
        for (i, shard) in shards.enumerated() {
            let w: WorkerProcess
            do { w = try WorkerProcess(index: i, executable: executable) } catch {
                workers.forEach { $0.terminate() }
                throw error
            }
            workers.append(w)
            let share = scenario.connectRate * Double(shard.count) / Double(max(scenario.count, 1))
            w.send(WorkerCommand(kind: .assign, scenario: scenario, lower: shard.lowerBound, upper: shard.upperBound, connectRate: share))
        }
        let board = WorkerBoard(count: workers.count)
        let started = IoTCore.Clock.monotonicNanos()
        let stage = LockedValue(("connect", started, Optional<Double>.none))
        let ticker = startTicker(stage: stage) { board.merged() }
        for w in workers {
            Task {
                while let report = await w.next() {
                    switch report.kind {
                    case .progress: board.progress(w.index, report.figures, report.recent)
                    case .ready: board.ready(w.index, report.figures)
                    case .final:
                        board.final(w.index, report.figures)
                        return
                    case .failed:
                        board.fail(report.error ?? "Worker \(w.index) failed.")
                        return
                    }
                }
                board.fail("Worker \(w.index) exited unexpectedly (status \(await w.waitForExit())).")
            }
        }
        func fail(_ message: String) async -> SimulationError {
            ticker.cancel()
            workers.forEach { $0.terminate() }
            status.finish()
            return .worker(message)
        }
        // Every worker connects its devices, then all start the phases together.
        while !board.allReady {
            if let message = board.failure { throw await fail(message) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let connectSeconds = Double(IoTCore.Clock.monotonicNanos() - started) / 1e9
        if scenario.count > 0 && board.merged().total.connected == 0 {
            let reason = board.merged().total.errors.first ?? "no reason given"
            throw await fail("No device could connect to \(scenario.broker): \(reason).")
        }
        stage.set(("run", IoTCore.Clock.monotonicNanos(), scenario.totalSeconds))
        workers.forEach { $0.send(WorkerCommand(kind: .start)) }
        while !board.allFinal {
            if let message = board.failure { throw await fail(message) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        ticker.cancel()
        for w in workers { _ = await w.waitForExit() }
        status.finish()
        return SimulationReport(scenario: scenario, workers: workers.count, figures: board.merged().total, connectSeconds: connectSeconds)
    }
}
