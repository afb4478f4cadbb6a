import IoTCore
import Yams

/// Reads one telemetry field's `{ generator: …, … }` mapping into a `GeneratorSpec`.
struct GeneratorParser {
    let source: YAMLSource

    private static let keys: [String: [String]] = [
        "constant": ["value"],
        "uniform": ["min", "max", "decimals"],
        "gaussian": ["mean", "stddev", "min", "max", "decimals"],
        "sine": ["min", "max", "amplitude", "offset", "period", "phase", "decimals"],
        "randomWalk": ["start", "step", "min", "max", "decimals"],
        "step": ["low", "high", "period", "duty"],
        "square": ["low", "high", "period", "duty"],
        "counter": ["start", "increment"],
        "choice": ["values", "weights"],
        "timestamp": [],
    ]

    func parse(_ node: Node, field: String) throws(DeviceFileError) -> GeneratorSpec {
        let what = "field \"\(field)\""
        guard case .mapping = node else {
            throw source.error(
                .invalidValue, at: node,
                "expected a mapping such as { generator: uniform, min: 0, max: 1 } for \(what), found \(source.shown(node))")
        }
        guard let nameNode = node["generator"] else {
            throw source.error(.missingKey, at: node, "missing key \"generator\" in \(what)")
        }
        let name = try source.string(nameNode, "\"generator\" of \(what)")
        guard let allowed = Self.keys[name] else {
            throw source.error(
                .unknownGenerator, at: nameNode,
                "unknown generator \"\(name)\" for \(what) (known: \(GeneratorSpec.names.joined(separator: ", ")))")
        }
        let m = try source.mapping(node, "\(what) (generator \(name))", allowed: ["generator"] + allowed)
        let p = Parameters(source: source, m: m, field: field)
        let decimals = try p.decimals()
        switch name {
        case "constant":
            return GeneratorSpec(.constant(try source.json(try m.required("value"), "\"value\" of \(what)")))
        case "uniform":
            let (min, max) = (try p.number("min"), try p.number("max"))
            try p.ordered("min", min, "max", max)
            return GeneratorSpec(.uniform(min: min, max: max), decimals: decimals)
        case "gaussian":
            let (min, max) = (try p.optionalNumber("min"), try p.optionalNumber("max"))
            if let min, let max { try p.ordered("min", min, "max", max) }
            let stddev = try p.number("stddev")
            try p.check(stddev >= 0, "stddev", "must not be negative")
            return GeneratorSpec(.gaussian(mean: try p.number("mean"), stddev: stddev, min: min, max: max), decimals: decimals)
        case "sine":
            let amplitude: Double
            let offset: Double
            if m.has("min") || m.has("max") {
                guard !m.has("amplitude") && !m.has("offset") else {
                    throw source.error(
                        .invalidValue, at: m.required("amplitude", or: "offset"),
                        "\(what) gives both min/max and amplitude/offset; use one pair")
                }
                let (min, max) = (try p.number("min"), try p.number("max"))
                try p.ordered("min", min, "max", max)
                amplitude = (max - min) / 2
                offset = (max + min) / 2
            } else {
                amplitude = try p.number("amplitude")
                offset = try p.optionalNumber("offset") ?? 0
            }
            let period = try p.positiveDuration("period")
            return GeneratorSpec(
                .sine(amplitude: amplitude, offset: offset, period: period, phase: try p.optionalNumber("phase") ?? 0),
                decimals: decimals)
        case "randomWalk":
            let (min, max) = (try p.optionalNumber("min"), try p.optionalNumber("max"))
            if let min, let max { try p.ordered("min", min, "max", max) }
            let start = try p.number("start")
            if let min { try p.check(start >= min, "start", "must not be below min \(min)") }
            if let max { try p.check(start <= max, "start", "must not be above max \(max)") }
            let step = try p.number("step")
            try p.check(step >= 0, "step", "must not be negative")
            return GeneratorSpec(.randomWalk(start: start, step: step, min: min, max: max), decimals: decimals)
        case "step", "square":
            let duty = try p.optionalNumber("duty") ?? 0.5
            try p.check(duty >= 0 && duty <= 1, "duty", "must be a fraction between 0 and 1")
            return GeneratorSpec(
                .square(low: try p.number("low"), high: try p.number("high"), period: try p.positiveDuration("period"), duty: duty))
        case "counter":
            return GeneratorSpec(.counter(start: try p.optionalNumber("start") ?? 0, increment: try p.optionalNumber("increment") ?? 1))
        case "choice":
            let valuesNode = try m.required("values")
            let values = try source.sequence(valuesNode, "\"values\" of \(what)").map { (n) throws(DeviceFileError) in
                try source.json(n, "\"values\" of \(what)")
            }
            try p.check(!values.isEmpty, "values", "must list at least one value")
            var weights: [Double]?
            if let wNode = m["weights"] {
                let w = try source.sequence(wNode, "\"weights\" of \(what)").map { (n) throws(DeviceFileError) in
                    try source.double(n, "\"weights\" of \(what)")
                }
                try p.check(w.count == values.count, "weights", "must have one weight per value (\(values.count)), found \(w.count)")
                try p.check(w.allSatisfy { $0 >= 0 } && w.reduce(0, +) > 0, "weights", "must be non-negative with a positive sum")
                weights = w
            }
            return GeneratorSpec(.choice(values: values, weights: weights))
        default:
            return GeneratorSpec(.timestamp)
        }
    }
}

/// Numeric parameters of one generator mapping, with messages naming the field.
private struct Parameters {
    let source: YAMLSource
    let m: MappingReader
    let field: String

    func what(_ key: String) -> String { "\"\(key)\" of field \"\(field)\"" }

    func number(_ key: String) throws(DeviceFileError) -> Double {
        try source.double(try m.required(key), what(key))
    }

    func optionalNumber(_ key: String) throws(DeviceFileError) -> Double? {
        guard let n = m[key] else { return nil }
        return try source.double(n, what(key))
    }

    func positiveDuration(_ key: String) throws(DeviceFileError) -> Duration {
        let node = try m.required(key)
        let d = try source.duration(node, what(key))
        guard d > .zero else { throw source.error(.invalidValue, at: node, "\(what(key)) must be longer than zero") }
        return d
    }

    func decimals() throws(DeviceFileError) -> Int {
        guard let node = m["decimals"] else { return GeneratorSpec.defaultDecimals }
        let d = try source.int(node, what("decimals"))
        guard (0...15).contains(d) else {
            throw source.error(.invalidValue, at: node, "\(what("decimals")) must be between 0 and 15, found \(d)")
        }
        return d
    }

    func check(_ ok: Bool, _ key: String, _ problem: String) throws(DeviceFileError) {
        guard !ok else { return }
        throw source.error(.invalidValue, at: m[key] ?? m.node, "\(what(key)) \(problem)")
    }

    func ordered(_ lowKey: String, _ low: Double, _ highKey: String, _ high: Double) throws(DeviceFileError) {
        try check(low <= high, highKey, "(\(high)) must not be below \(lowKey) (\(low))")
    }
}

extension MappingReader {
    /// The value of whichever of two keys is present, for messages about conflicting keys.
    func required(_ first: String, or second: String) -> Node {
        self[first] ?? self[second] ?? node
    }
}
