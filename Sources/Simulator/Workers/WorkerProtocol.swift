import Foundation
import IoTCore

/// A line the parent writes to a worker's stdin (JSON, one per line).
struct WorkerCommand: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// First line: which devices to simulate.
        case assign
        /// Connect phase is over everywhere: run the phases.
        case start
    }

    var kind: Kind
    var scenario: Scenario?
    var lower: Int?
    var upper: Int?
    var connectRate: Double?
}

/// A line a worker writes to its stdout (JSON, one per line).
struct WorkerReport: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// Once a second: cumulative figures plus latencies since the last progress line.
        case progress
        /// Every device connected or gave up; waiting for `start`.
        case ready
        /// The run is over; complete figures.
        case final
        /// The worker cannot go on; `error` says why.
        case failed
    }

    var kind: Kind
    var figures: ShardFigures?
    var recent: LatencyHistogram?
    var error: String?
}

enum JSONLines {
    static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        data.append(0x0A)
        return data
    }

    static func decode<T: Decodable>(_ type: T.Type, _ line: Substring) -> T? {
        try? JSONDecoder().decode(type, from: Data(line.utf8))
    }
}

/// Newline-separated text read from a file descriptor on its own thread (reads block), handed to
/// one consumer at a time through `next()`.
final class LineChannel: Sendable {
    private struct State {
        var lines: [Substring] = []
        var head = 0
        var finished = false
        var waiter: CheckedContinuation<Substring?, Never>?
    }

    private let state = LockedValue(State())

    init(fd: Int32) {
        let thread = Thread { [self] in
            var pending = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending.append(contentsOf: chunk[0..<n])
                while let nl = pending.firstIndex(of: 0x0A) {
                    deliver(Substring(decoding: pending[..<nl], as: UTF8.self))
                    pending.removeSubrange(...nl)
                }
            }
            if !pending.isEmpty { deliver(Substring(decoding: pending, as: UTF8.self)) }
            finish()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func deliver(_ line: Substring) {
        let waiter = state.withLock { s -> CheckedContinuation<Substring?, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    private func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Substring?, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next line, or nil once the descriptor reached end of file.
    func next() async -> Substring? {
        await withCheckedContinuation { (c: CheckedContinuation<Substring?, Never>) in
            let ready = state.withLock { s -> Substring?? in
                if s.head < s.lines.count {
                    defer {
                        s.head += 1
                        if s.head == s.lines.count { s.lines.removeAll(); s.head = 0 }
                    }
                    return .some(s.lines[s.head])
                }
                if s.finished { return .some(nil) }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }
}
