import Devices
import Foundation
import IoTCore

/// The hidden `iotsim worker` side: simulates the slice of devices the parent assigns on stdin and
/// reports figures on stdout as JSON lines. Exits when stdin closes early (the parent is gone).
public enum WorkerMain {
    public static func run() async -> Int32 {
        ShardPlanner.raiseOpenFileLimit()
        let commands = LineChannel(fd: STDIN_FILENO)
        guard let first = await commands.next(), let assign = JSONLines.decode(WorkerCommand.self, first),
              assign.kind == .assign, let scenario = assign.scenario, let lower = assign.lower, let upper = assign.upper
        else {
            emit(WorkerReport(kind: .failed, error: "The worker expected an assignment line on stdin."))
            return 1
        }
        let engine: ShardEngine
        do {
            let catalog = try DeviceCatalog.load(directory: scenario.devicesDirectory)
            engine = try ShardEngine(scenario: scenario, catalog: catalog, ordinals: lower..<upper)
        } catch let e as DeviceFileError {
            emit(WorkerReport(kind: .failed, error: e.description))
            return 1
        } catch {
            emit(WorkerReport(kind: .failed, error: "\(error)"))
            return 1
        }
        let progress = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let (total, recent) = engine.figures()
                emit(WorkerReport(kind: .progress, figures: total, recent: recent))
            }
        }
        await engine.connectAll(connectRate: assign.connectRate ?? scenario.connectRate)
        emit(WorkerReport(kind: .ready, figures: engine.figures().total))
        guard let line = await commands.next(), JSONLines.decode(WorkerCommand.self, line)?.kind == .start else {
            progress.cancel()
            await engine.shutdown()
            return 1
        }
        // A closed stdin from here on means the parent died: stop rather than run on unsupervised.
        let orphaned = Task.detached {
            while await commands.next() != nil {}
            exit(2)
        }
        await engine.runPhases()
        progress.cancel()
        emit(WorkerReport(kind: .final, figures: engine.figures().total))
        await engine.shutdown()
        orphaned.cancel()
        return 0
    }

    /// Progress and final lines come from different tasks; whole lines must not interleave.
    private static let stdoutLock = LockedValue(0)

    static func emit(_ report: WorkerReport) {
        let data = JSONLines.encode(report)
        stdoutLock.withLock { _ in writeAll(data) }
    }

    private static func writeAll(_ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
