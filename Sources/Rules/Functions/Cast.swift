import IoTCore

/// `cast(value AS type)`: the standard conversions plus numbers to and from Booleans.
enum Cast {
    static func apply(_ v: JSONValue?, to type: CastType) -> JSONValue? {
        switch type {
        case .string:
            return Convert.string(v).map { .string($0) }
        case .int:
            if case .bool(let b)? = v { return .int(b ? 1 : 0) }
            return Convert.flooredInt(v).map { .int($0) }
        case .decimal, .double:
            if case .bool(let b)? = v { return .int(b ? 1 : 0) }
            guard let d = Convert.double(v) else { return nil }
            return Convert.decimal(d)
        case .bool:
            switch v {
            case .int(let i)?: return .bool(i != 0)
            case .double(let d)?: return .bool(d != 0)
            default: return Convert.boolean(v).map { .bool($0) }
            }
        }
    }
}
