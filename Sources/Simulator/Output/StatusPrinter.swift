import Foundation
import IoTCore

/// The live status line: rewritten in place once a second on a terminal, one plain line per
/// interval otherwise (logs, CI); written to stderr so stdout keeps only the summary.
public final class StatusPrinter: Sendable {
    public enum Mode: Sendable {
        case terminal, lines, quiet
    }

    public let mode: Mode
    private let last = LockedValue((acked: 0, at: UInt64(0), width: 0))

    public init(mode: Mode) { self.mode = mode }

    /// `.terminal` when stderr is a TTY, `.lines` otherwise.
    public static func automatic() -> StatusPrinter {
        StatusPrinter(mode: isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
    }

    func update(stage: String, elapsed: Double, total: Double?, requested: Int, figures f: ShardFigures, recent: LatencyHistogram) {
        guard mode != .quiet else { return }
        let now = IoTCore.Clock.monotonicNanos()
        let rate = last.withLock { l -> Double in
            defer { l.acked = f.acked; l.at = now }
            guard l.at > 0, now > l.at else { return 0 }
            return Double(f.acked - l.acked) / (Double(now - l.at) / 1e9)
        }
        let r = recent.summary
        let clock = total.map { "\(Self.clock(elapsed))/\(Self.clock($0))" } ?? Self.clock(elapsed)
        let text = "[\(stage) \(clock)] connected \(f.online)/\(requested)  sent \(f.sent)  acked/s \(Int(rate.rounded()))"
            + "  failed \(f.failed)  reconnects \(f.reconnects)  p50 \(Self.ms(r.p50))  p99 \(Self.ms(r.p99))"
        write(text)
    }

    func finish() {
        if mode == .terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func write(_ text: String) {
        switch mode {
        case .terminal:
            let pad = last.withLock { l -> Int in
                defer { l.width = text.count }
                return max(0, l.width - text.count)
            }
            FileHandle.standardError.write(Data(("\r" + text + String(repeating: " ", count: pad)).utf8))
        case .lines:
            FileHandle.standardError.write(Data((text + "\n").utf8))
        case .quiet:
            break
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        return String(format: "%02d:%02d", s / 60, s % 60)
    }

    static func ms(_ v: Double) -> String { String(format: "%.1fms", v) }
}
