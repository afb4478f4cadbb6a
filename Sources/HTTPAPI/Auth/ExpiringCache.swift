import IoTCore

/// Answers remembered for a short time, bounded in size: credential lookups must not read
/// SQLite per request, yet a revoked key must stop working within `lifetimeNanos`.
struct ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let entries = LockedValue<[Key: (value: Value, expires: UInt64)]>([:])
    let lifetimeNanos: UInt64
    let capacity: Int

    init(lifetimeNanos: UInt64 = 2_000_000_000, capacity: Int = 10_000) {
        self.lifetimeNanos = lifetimeNanos
        self.capacity = capacity
    }

    /// The remembered value for `key`, or `load()`'s answer, remembered from now on.
    func value(for key: Key, load: () throws -> Value) rethrows -> Value {
        let now = Clock.monotonicNanos()
        if let hit = entries.withLock({ $0[key] }), hit.expires > now { return hit.value }
        let value = try load()
        entries.withLock { c in
            // A flood of wrong secrets must not grow memory without limit.
            if c.count >= capacity { c.removeAll() }
            c[key] = (value, now + lifetimeNanos)
        }
        return value
    }
}
