import IoTCore

/// How one telemetry field's values are produced; the Simulator turns a spec into values.
public struct GeneratorSpec: Sendable, Hashable {
    /// The generator and its parameters.
    public enum Kind: Sendable, Hashable {
        /// Always `value`.
        case constant(JSONValue)
        /// Uniformly distributed in `min...max`.
        case uniform(min: Double, max: Double)
        /// Normally distributed, clamped to `min`/`max` when given.
        case gaussian(mean: Double, stddev: Double, min: Double?, max: Double?)
        /// `offset + amplitude·sin(2π(t/period + phase))`; `phase` is a fraction of a period.
        case sine(amplitude: Double, offset: Double, period: Duration, phase: Double)
        /// Starts at `start`, moves by a uniform step in `-step...step` each message, kept in bounds.
        case randomWalk(start: Double, step: Double, min: Double?, max: Double?)
        /// `high` for the first `duty` fraction of each period, `low` for the rest.
        case square(low: Double, high: Double, period: Duration, duty: Double)
        /// `start`, `start + increment`, … one step per message.
        case counter(start: Double, increment: Double)
        /// One of `values`, picked with the given relative weights (equal when nil).
        case choice(values: [JSONValue], weights: [Double]?)
        /// The send time in milliseconds since the Unix epoch.
        case timestamp
    }

    public var kind: Kind
    /// Decimal places kept for continuous generators (uniform, gaussian, sine, randomWalk);
    /// 0 emits JSON integers.
    public var decimals: Int

    public init(_ kind: Kind, decimals: Int = GeneratorSpec.defaultDecimals) {
        self.kind = kind
        self.decimals = decimals
    }

    /// Short payloads matter at thousands of messages per second; three places suit sensor data.
    public static let defaultDecimals = 3

    /// The generator names a device file may use, in the order messages list them.
    public static let names = [
        "constant", "uniform", "gaussian", "sine", "randomWalk", "step", "square", "counter", "choice", "timestamp",
    ]

    /// The name a device file uses for this generator.
    public var name: String {
        switch kind {
        case .constant: return "constant"
        case .uniform: return "uniform"
        case .gaussian: return "gaussian"
        case .sine: return "sine"
        case .randomWalk: return "randomWalk"
        case .square: return "square"
        case .counter: return "counter"
        case .choice: return "choice"
        case .timestamp: return "timestamp"
        }
    }
}
