import Devices
import Foundation

/// Reads a scenario YAML file (phases, faults and run settings) with `file:line: message` errors.
public enum ScenarioFile {
    static let keys = [
        "broker", "devices", "fleet", "count", "rate", "qos", "seed", "connectRate", "duration", "phases", "faults",
        "username", "password", "data",
    ]

    /// True when the text's top-level keys are a scenario's rather than a device file's.
    public static func looksLikeScenario(_ text: String) -> Bool {
        guard let root = try? YAMLSource(file: "").compose(text), case .mapping(let m) = root else { return false }
        return m.keys.contains { $0.string.map { ["phases", "faults", "fleet", "duration", "broker"].contains($0) } ?? false }
    }

    public static func load(path: String) throws(DeviceFileError) -> ScenarioSettings {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DeviceFileError(.unreadable, file: path, line: 0, message: "cannot read the scenario file")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(DeviceFileError) -> ScenarioSettings {
        let source = YAMLSource(file: file)
        var s = ScenarioSettings()
        guard let root = try source.compose(text) else { return s }
        let m = try source.mapping(root, "the scenario", allowed: keys)
        if let n = m["broker"] {
            let url = try source.string(n, "\"broker\"")
            guard BrokerAddress.parse(url) != nil else {
                throw source.error(.invalidValue, at: n, "\"broker\" must look like mqtt://host:port, found \"\(url)\"")
            }
            s.broker = url
        }
        if let n = m["devices"] { s.devicesDirectory = try source.string(n, "\"devices\"") }
        if let n = m["fleet"] {
            s.fleet = try source.string(n, "\"fleet\"")
            s.fleetLocation = source.location(n)
        }
        if let n = m["count"] {
            s.count = try source.int(n, "\"count\"")
            guard s.count! >= 0 else { throw source.error(.invalidValue, at: n, "\"count\" must not be negative") }
        }
        if let n = m["rate"] { s.rate = try rate(source, n, "\"rate\"") }
        if let n = m["qos"] {
            s.qos = try source.int(n, "\"qos\"")
            guard (0...2).contains(s.qos!) else { throw source.error(.invalidValue, at: n, "\"qos\" must be 0, 1 or 2") }
        }
        if let n = m["seed"] {
            let seed = try source.int(n, "\"seed\"")
            guard seed >= 0 else { throw source.error(.invalidValue, at: n, "\"seed\" must not be negative") }
            s.seed = UInt64(seed)
        }
        if let n = m["connectRate"] {
            s.connectRate = try rate(source, n, "\"connectRate\"")
            guard s.connectRate! > 0 else { throw source.error(.invalidValue, at: n, "\"connectRate\" must be above zero") }
        }
        if let n = m["duration"] { s.duration = try positiveSeconds(source, n, "\"duration\"") }
        if let n = m["phases"] {
            guard m["duration"] == nil else {
                throw source.error(.invalidValue, at: n, "give either \"duration\" or \"phases\", not both")
            }
            s.phases = try source.sequence(n, "\"phases\"").enumerated().map { (i, p) throws(DeviceFileError) in
                try phase(source, p, index: i)
            }
            guard !s.phases!.isEmpty else { throw source.error(.invalidValue, at: n, "\"phases\" must list at least one phase") }
        }
        if let n = m["faults"] {
            s.faults = try source.sequence(n, "\"faults\"").map { (f) throws(DeviceFileError) in try fault(source, f) }
        }
        if let n = m["username"] { s.username = try source.string(n, "\"username\"") }
        if let n = m["password"] { s.password = try source.string(n, "\"password\"") }
        if let n = m["data"] { s.dataDirectory = try source.string(n, "\"data\"") }
        return s
    }

    private static func rate(_ source: YAMLSource, _ node: YAMLNode, _ what: String) throws(DeviceFileError) -> Double {
        guard case .scalar(let s) = node, let r = RateText.parse(s.string) else {
            throw source.error(.invalidValue, at: node, "expected a rate such as 10/s or 30/m for \(what), found \(source.shown(node))")
        }
        return r
    }

    private static func positiveSeconds(_ source: YAMLSource, _ node: YAMLNode, _ what: String) throws(DeviceFileError) -> Double {
        let d = try source.duration(node, what)
        guard d > .zero else { throw source.error(.invalidValue, at: node, "\(what) must be longer than zero") }
        return d.inSeconds
    }

    private static func phase(_ source: YAMLSource, _ node: YAMLNode, index: Int) throws(DeviceFileError) -> Phase {
        let m = try source.mapping(node, "phase \(index + 1)", allowed: ["name", "kind", "duration", "rate", "from", "to"])
        var kind = Phase.Kind.steady
        if let n = m["kind"] {
            let text = try source.string(n, "\"kind\" of phase \(index + 1)")
            guard let k = Phase.Kind(rawValue: text) else {
                throw source.error(.invalidValue, at: n, "unknown phase kind \"\(text)\" (known: ramp, steady, spike, idle)")
            }
            kind = k
        }
        let name = try m["name"].map { (n) throws(DeviceFileError) in try source.string(n, "\"name\" of phase \(index + 1)") }
            ?? "\(kind.rawValue)-\(index + 1)"
        let what = "phase \"\(name)\""
        let seconds = try positiveSeconds(source, try m.required("duration"), "\"duration\" of \(what)")
        var phase = Phase(name: name, kind: kind, seconds: seconds)
        switch kind {
        case .ramp:
            if let n = m["rate"] { throw source.error(.unknownKey, at: n, "a ramp takes \"from\" and \"to\", not \"rate\" (\(what))") }
            phase.rateFrom = try m["from"].map { (n) throws(DeviceFileError) in try rate(source, n, "\"from\" of \(what)") }
            phase.rateTo = try m["to"].map { (n) throws(DeviceFileError) in try rate(source, n, "\"to\" of \(what)") }
        case .steady, .spike:
            if let n = m["from"] ?? m["to"] { throw source.error(.unknownKey, at: n, "only a ramp takes \"from\" and \"to\" (\(what))") }
            phase.rateFrom = try m["rate"].map { (n) throws(DeviceFileError) in try rate(source, n, "\"rate\" of \(what)") }
            if kind == .spike && phase.rateFrom == nil {
                throw source.error(.missingKey, at: node, "missing key \"rate\" in spike \(what)")
            }
        case .idle:
            if let n = m["rate"] ?? m["from"] ?? m["to"] { throw source.error(.unknownKey, at: n, "an idle phase takes no rate (\(what))") }
        }
        return phase
    }

    private static func fault(_ source: YAMLSource, _ node: YAMLNode) throws(DeviceFileError) -> Fault {
        guard let kindNode = node["kind"] else { throw source.error(.missingKey, at: node, "missing key \"kind\" in a fault") }
        let text = try source.string(kindNode, "\"kind\" of a fault")
        guard let kind = Fault.Kind(rawValue: text) else {
            throw source.error(.invalidValue, at: kindNode,
                               "unknown fault kind \"\(text)\" (known: \(Fault.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var allowed = ["kind", "fraction", "at", "duration"]
        if kind == .disconnect { allowed = ["kind", "fraction", "at", "pause"] }
        if kind == .clockSkew { allowed.append("skew") }
        let what = "fault \"\(text)\""
        let m = try source.mapping(node, what, allowed: allowed)
        let fractionNode = try m.required("fraction")
        let fraction = try source.double(fractionNode, "\"fraction\" of \(what)")
        guard (0...1).contains(fraction) else {
            throw source.error(.invalidValue, at: fractionNode, "\"fraction\" of \(what) must be between 0 and 1, found \(fraction)")
        }
        var fault = Fault(kind: kind, fraction: fraction)
        if let n = m["at"] { fault.at = try source.duration(n, "\"at\" of \(what)").inSeconds }
        if let n = m["duration"] { fault.seconds = try positiveSeconds(source, n, "\"duration\" of \(what)") }
        if let n = m["pause"] { fault.pauseSeconds = try source.duration(n, "\"pause\" of \(what)").inSeconds }
        if kind == .clockSkew {
            let n = try m.required("skew")
            let raw = try source.string(n, "\"skew\" of \(what)")
            let negative = raw.hasPrefix("-")
            guard let d = DurationText.parse(negative ? String(raw.dropFirst()) : raw) else {
                throw source.error(.invalidValue, at: n, "expected a duration such as 5m or -30s for \"skew\" of \(what), found \"\(raw)\"")
            }
            fault.skewSeconds = negative ? -d.inSeconds : d.inSeconds
        }
        return fault
    }
}
