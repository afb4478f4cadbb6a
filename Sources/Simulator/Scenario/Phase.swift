/// A stretch of a run with one telemetry rate pattern.
public struct Phase: Codable, Sendable, Equatable {
    /// ramp: rate moves linearly from `rateFrom` to `rateTo`; steady and spike: constant `rateFrom`; idle: no telemetry.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case ramp, steady, spike, idle
    }

    public var name: String
    public var kind: Kind
    public var seconds: Double
    /// Messages per second per device; nil means the run's base rate.
    public var rateFrom: Double?
    public var rateTo: Double?

    public init(name: String, kind: Kind, seconds: Double, rateFrom: Double? = nil, rateTo: Double? = nil) {
        self.name = name
        self.kind = kind
        self.seconds = seconds
        self.rateFrom = rateFrom
        self.rateTo = rateTo
    }

    /// Messages per second per device at `t` seconds into the phase.
    public func rate(at t: Double, base: Double) -> Double {
        switch kind {
        case .idle: return 0
        case .steady, .spike: return rateFrom ?? base
        case .ramp:
            let from = rateFrom ?? 0
            let to = rateTo ?? base
            return from + (to - from) * min(max(t / max(seconds, 1e-9), 0), 1)
        }
    }
}
