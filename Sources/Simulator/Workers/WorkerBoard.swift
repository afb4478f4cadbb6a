import IoTCore

/// The latest figures of every worker, merged for the status line and the report.
final class WorkerBoard: Sendable {
    private struct State {
        var figures: [ShardFigures]
        var recent: [LatencyHistogram]
        var ready: [Bool]
        var final: [Bool]
        var failure: String?
    }

    private let state: LockedValue<State>

    init(count: Int) {
        state = LockedValue(State(
            figures: Array(repeating: ShardFigures(), count: count), recent: Array(repeating: LatencyHistogram(), count: count),
            ready: Array(repeating: false, count: count), final: Array(repeating: false, count: count)))
    }

    func progress(_ i: Int, _ figures: ShardFigures?, _ recent: LatencyHistogram?) {
        state.withLock { s in
            guard !s.final[i] else { return }
            if let figures { s.figures[i] = figures }
            if let recent { s.recent[i].add(recent) }
        }
    }

    func ready(_ i: Int, _ figures: ShardFigures?) {
        state.withLock { s in
            if let figures { s.figures[i] = figures }
            s.ready[i] = true
        }
    }

    func final(_ i: Int, _ figures: ShardFigures?) {
        state.withLock { s in
            if let figures { s.figures[i] = figures }
            s.final[i] = true
        }
    }

    func fail(_ message: String) {
        state.withLock { s in if s.failure == nil { s.failure = message } }
    }

    var failure: String? { state.withLock { $0.failure } }
    var allReady: Bool { state.withLock { $0.ready.allSatisfy { $0 } } }
    var allFinal: Bool { state.withLock { $0.final.allSatisfy { $0 } } }

    /// All workers' figures summed, and the latencies reported since the previous call.
    func merged() -> (total: ShardFigures, recent: LatencyHistogram) {
        state.withLock { s in
            var total = ShardFigures()
            for f in s.figures { total.merge(f) }
            var recent = LatencyHistogram()
            for i in s.recent.indices {
                recent.add(s.recent[i])
                s.recent[i].reset()
            }
            return (total, recent)
        }
    }
}
