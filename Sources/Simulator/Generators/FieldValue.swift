import IoTCore

/// One generated telemetry value, kept unformatted until it is written into a payload.
public enum FieldValue: Sendable, Equatable {
    /// A number written with `decimals` places (an integer when 0).
    case number(Double, decimals: Int)
    case integer(Int64)
    case json(JSONValue)

    /// The value as a Double when it is numeric.
    public var doubleValue: Double? {
        switch self {
        case .number(let d, _): return d
        case .integer(let i): return Double(i)
        case .json(let j): return j.doubleValue
        }
    }
}
