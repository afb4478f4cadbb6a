import Histogram

/// Latencies in microseconds (1 µs to 1 hour, 3 significant digits), mergeable across processes.
public struct LatencyHistogram: Sendable {
    private(set) var histogram: Histogram<UInt64>

    public init() {
        histogram = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    public var count: UInt64 { histogram.totalCount }

    public mutating func record(microseconds: UInt64) {
        _ = histogram.record(min(max(microseconds, 1), 3_600_000_000))
    }

    public mutating func add(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    public mutating func reset() { histogram.reset() }

    /// Non-empty buckets as `[value, count]` pairs: small enough for one JSON line per second per worker.
    public var sparse: [[UInt64]] {
        histogram.recordedValues().map { [$0.value, UInt64($0.count)] }
    }

    public init(sparse: [[UInt64]]) {
        self.init()
        for pair in sparse where pair.count == 2 {
            _ = histogram.record(min(max(pair[0], 1), 3_600_000_000), count: pair[1])
        }
    }

    /// Percentiles in milliseconds; zeros when nothing was recorded.
    public var summary: LatencySummary {
        guard count > 0 else { return LatencySummary() }
        func ms(_ v: UInt64) -> Double { Double(v) / 1000 }
        return LatencySummary(
            count: count, p50: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)), p999: ms(histogram.valueAtPercentile(99.9)), max: ms(histogram.max),
            mean: (histogram.mean).rounded() / 1000)
    }
}

/// Latency percentiles of one measurement, in milliseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count: UInt64 = 0
    public var p50: Double = 0
    public var p90: Double = 0
    public var p99: Double = 0
    public var p999: Double = 0
    public var max: Double = 0
    public var mean: Double = 0
}

/// `LatencyHistogram` travels between processes as its sparse form.
extension LatencyHistogram: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(sparse: try [[UInt64]](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try sparse.encode(to: encoder)
    }
}
