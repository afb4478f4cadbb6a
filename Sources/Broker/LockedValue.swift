import Foundation

/// A value behind an `NSLock`, for state shared between tasks and the process-watcher threads.
final class LockedValue<Value>: @unchecked Sendable {
    // `value` is only accessed while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
