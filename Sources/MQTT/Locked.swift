#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex, for state shared between a client's I/O thread and its
/// callers, plus a condition variable for threads that wait until the value changes.
///
/// `withLock(waitingWhile:_:)` sleeps until `withLockWakingWaiters(_:)` (called by whoever makes
/// the waited-for change) broadcasts; plain `withLock` never wakes anyone, so the common path costs
/// one mutex lock and unlock.
final class Locked<Value>: @unchecked Sendable {
    // `value` and `waiters` are only read or written while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value
    private var waiters = 0

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Waits (without holding the lock) while `shouldWait` is true, then runs `body` under the lock.
    /// (`shouldWait` gets the value `inout` only so that it is not copied for the call.)
    func withLock<T, E: Error>(waitingWhile shouldWait: (inout Value) -> Bool, _ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while shouldWait(&value) {
            waiters += 1
            pthread_cond_wait(condition, mutex)
            waiters -= 1
        }
        return try body(&value)
    }

    /// Runs `body` under the lock, then wakes every thread in `withLock(waitingWhile:_:)` to re-check.
    func withLockWakingWaiters<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer {
            if waiters > 0 { pthread_cond_broadcast(condition) }
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }
}
