/// Rates written per unit of time (`10/s`, `30/m`, `100/h`), as `--rate` and scenario files use them.
public enum RateText {
    /// Events per second for `text`, or nil when it is not a non-negative number with `/s`, `/m` or `/h`.
    public static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let value = Double(parts[0].trimmingCharacters(in: " ")), value.isFinite, value >= 0
        else { return nil }
        switch parts[1].trimmingCharacters(in: " ") {
        case "s": return value
        case "m": return value / 60
        case "h": return value / 3600
        default: return nil
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
