import Foundation
import IoTCore
import Logging

/// Logs at most one line per key per interval, and says how many it held back, so a
/// misbehaving device cannot flood the log.
final class RateLimitedLogger: @unchecked Sendable {
    // `lock` guards `last` and `suppressed`.
    private let lock = NSLock()
    private var last: [String: UInt64] = [:]
    private var suppressed: [String: Int] = [:]
    private let intervalNanos: UInt64
    let logger: Logger

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        let c = interval.components
        intervalNanos = UInt64(c.seconds) * 1_000_000_000 + UInt64(c.attoseconds / 1_000_000_000)
    }

    func warning(key: String, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) {
        let now = Clock.monotonicNanos()
        lock.lock()
        if let t = last[key], now - t < intervalNanos {
            suppressed[key, default: 0] += 1
            lock.unlock()
            return
        }
        last[key] = now
        let held = suppressed.removeValue(forKey: key) ?? 0
        lock.unlock()
        var md = metadata
        if held > 0 { md["suppressed"] = "\(held)" }
        logger.warning(message(), metadata: md)
    }
}
