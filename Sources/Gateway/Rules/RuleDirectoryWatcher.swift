import Foundation

/// Polls on its own thread: calls `poll` every `interval` until `stop`. Polling mtimes and
/// sizes of a handful of files costs microseconds and works on every file system, where
/// inotify misses changes on some network and container mounts.
final class RuleDirectoryWatcher: @unchecked Sendable {
    // `condition` guards `stopped` and `finished`.
    private let condition = NSCondition()
    private var stopped = false
    private var finished = false
    private let interval: TimeInterval
    private let poll: @Sendable () -> Void

    init(interval: Duration, poll: @escaping @Sendable () -> Void) {
        let c = interval.components
        self.interval = Double(c.seconds) + Double(c.attoseconds) / 1e18
        self.poll = poll
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = "iotgw-rules-watch"
        t.start()
    }

    /// Stops polling and returns once the thread has finished its current poll.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            let deadline = Date(timeIntervalSinceNow: interval)
            while !stopped && condition.wait(until: deadline) {}
            if stopped {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            poll()
        }
    }
}
