import Devices
import Foundation
import IoTCore

/// The running state of one telemetry field of one device: produces the field's next value.
public struct FieldGenerator: Sendable {
    public let spec: GeneratorSpec
    private var walk: Double
    private var count: Int64
    /// Cumulative weights of a `choice`, so a pick is one uniform draw and a binary search.
    private let cumulative: [Double]

    public init(_ spec: GeneratorSpec) {
        self.spec = spec
        count = 0
        switch spec.kind {
        case .randomWalk(let start, _, _, _): walk = start
        default: walk = 0
        }
        if case .choice(let values, let weights) = spec.kind {
            var sum = 0.0
            cumulative = (weights ?? Array(repeating: 1, count: values.count)).map { w in
                sum += w
                return sum
            }
        } else {
            cumulative = []
        }
    }

    /// The next value at `elapsed` seconds into the run, with the device clock at `nowMillis`.
    public mutating func next(elapsed: Double, nowMillis: Int64, random: inout SeededRandom) -> FieldValue {
        defer { count += 1 }
        switch spec.kind {
        case .constant(let value):
            return .json(value)
        case .uniform(let min, let max):
            return number(min + (max - min) * random.unit())
        case .gaussian(let mean, let stddev, let min, let max):
            return number(clamp(mean + stddev * random.gaussian(), min, max))
        case .sine(let amplitude, let offset, let period, let phase):
            return number(offset + amplitude * sin(2 * Double.pi * (elapsed / period.inSeconds + phase)))
        case .randomWalk(_, let step, let min, let max):
            if count > 0 { walk = clamp(walk + step * (2 * random.unit() - 1), min, max) }
            return number(walk)
        case .square(let low, let high, let period, let duty):
            let position = elapsed.truncatingRemainder(dividingBy: period.inSeconds) / period.inSeconds
            return exact(position < duty ? high : low)
        case .counter(let start, let increment):
            return exact(start + Double(count) * increment)
        case .choice(let values, _):
            let target = random.unit() * (cumulative.last ?? 1)
            var lo = 0
            var hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > target { hi = mid } else { lo = mid + 1 }
            }
            return .json(values[lo])
        case .timestamp:
            return .integer(nowMillis)
        }
    }

    private func number(_ d: Double) -> FieldValue { .number(d, decimals: spec.decimals) }

    /// Parameters given as integers stay integers in the payload (`counter` 1, 2, 3 — not 1.0).
    private func exact(_ d: Double) -> FieldValue {
        if d.rounded() == d && abs(d) < 9e15 { return .integer(Int64(d)) }
        return .number(d, decimals: 15)
    }

    private func clamp(_ v: Double, _ lo: Double?, _ hi: Double?) -> Double {
        var v = v
        if let lo, v < lo { v = lo }
        if let hi, v > hi { v = hi }
        return v
    }
}
