/// Durations written with a unit (`500ms`, `5s`, `1.5m`, `1h`), as device and scenario files use them.
public enum DurationText {
    /// The duration `text` denotes, or nil when it lacks a known unit or a non-negative number.
    public static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let trimmed = text.trimmingSpaces
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
                let value = Double(number), value.isFinite, value >= 0
            else { return nil }
            let nanos = (value * scale * 1e9).rounded()
            guard nanos < 9e18 else { return nil }
            return .nanoseconds(Int64(nanos))
        }
        return nil
    }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    public var inMilliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }

    /// The duration in seconds as a Double.
    public var inSeconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
