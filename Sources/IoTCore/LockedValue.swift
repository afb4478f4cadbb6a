import Synchronization

/// A value shared between threads behind a mutex.
/// Inlinable, so that callers in other modules get it specialized for their `Value` instead of
/// looking up generic metadata on every call (it guards per-message state).
public final class LockedValue<Value: Sendable>: Sendable {
    @usableFromInline let mutex: Mutex<Value>

    @inlinable public init(_ value: Value) { mutex = Mutex(value) }

    @inlinable public func get() -> Value { mutex.withLock { $0 } }

    @inlinable public func set(_ value: Value) { mutex.withLock { $0 = value } }

    @inlinable @discardableResult
    public func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }
}
