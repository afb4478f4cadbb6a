import Foundation
import IoTCore
import Yams

/// The definitions of one `devices/` file, before they are merged and cross-checked with the others.
struct DeviceFile {
    var deviceTypes: [DeviceType] = []
    var fleets: [FleetDraft] = []
}

/// A fleet plus the places later checks (type exists, names unique) point at.
struct FleetDraft {
    var fleet: Fleet
    var typeLocation: SourceLocation
    var patternLocation: SourceLocation
}

/// Parses the text of one `devices/` file; unknown keys and bad values are errors, never ignored.
struct DeviceFileParser {
    let source: YAMLSource

    init(file: String) { source = YAMLSource(file: file) }

    func parse(_ text: String) throws(DeviceFileError) -> DeviceFile {
        guard let root = try source.compose(text) else { return DeviceFile() }
        let top = try source.mapping(root, "the file", allowed: ["deviceTypes", "fleets"])
        var out = DeviceFile()
        if let types = top["deviceTypes"] {
            for node in try source.sequence(types, "\"deviceTypes\"") { out.deviceTypes.append(try deviceType(node)) }
        }
        if let fleets = top["fleets"] {
            for node in try source.sequence(fleets, "\"fleets\"") { out.fleets.append(try fleet(node)) }
        }
        return out
    }

    private func name(_ node: Node, _ what: String) throws(DeviceFileError) -> String {
        let name = try source.string(node, what)
        guard IdPattern.isValidThingName(name) else {
            throw source.error(.invalidValue, at: node,
                               "\(what) \"\(name)\" must be 1 to 128 letters, digits, ':', '_' or '-'")
        }
        return name
    }

    private func deviceType(_ node: Node) throws(DeviceFileError) -> DeviceType {
        let keys = ["name", "description", "topic", "interval", "jitter", "qos", "telemetry", "shadow"]
        let m = try source.mapping(node, "a device type", allowed: keys)
        let typeName = try name(try m.required("name"), "device type name")
        let what = "device type \"\(typeName)\""
        var type = DeviceType(name: typeName, location: source.location(node))
        if let n = m["description"] { type.description = try source.string(n, "\"description\" of \(what)") }
        if let n = m["topic"] { type.topicTemplate = try topic(n, what) }
        if let n = m["interval"] {
            type.interval = try source.duration(n, "\"interval\" of \(what)")
            guard type.interval > .zero else {
                throw source.error(.invalidValue, at: n, "\"interval\" of \(what) must be longer than zero")
            }
        }
        if let n = m["jitter"] {
            type.jitter = try source.double(n, "\"jitter\" of \(what)")
            guard (0...1).contains(type.jitter) else {
                throw source.error(.invalidValue, at: n, "\"jitter\" of \(what) must be a fraction between 0 and 1, found \(type.jitter)")
            }
        }
        if let n = m["qos"] {
            type.qos = try source.int(n, "\"qos\" of \(what)")
            guard (0...2).contains(type.qos) else {
                throw source.error(.invalidValue, at: n, "\"qos\" of \(what) must be 0, 1 or 2, found \(type.qos)")
            }
        }
        if let n = m["telemetry"] { type.telemetry = try telemetry(n, what) }
        if let n = m["shadow"] { type.shadow = try shadow(n, what) }
        return type
    }

    private func topic(_ node: Node, _ what: String) throws(DeviceFileError) -> String {
        let text = try source.string(node, "\"topic\" of \(what)")
        let levels = Topic.levels(text)
        for level in levels where level != DeviceType.thingPlaceholder && (level.contains("{") || level.contains("}")) {
            throw source.error(.invalidTopic, at: node, "topic \"\(text)\" of \(what) has level \"\(level)\"; {thing} must fill a whole level and is the only placeholder")
        }
        guard levels.contains(where: { $0 == DeviceType.thingPlaceholder }) else {
            throw source.error(.invalidTopic, at: node, "topic \"\(text)\" of \(what) must contain a {thing} level, e.g. devices/{thing}/telemetry")
        }
        guard Topic.isValidName(text.replacingAll(DeviceType.thingPlaceholder, with: "x")) else {
            throw source.error(.invalidTopic, at: node, "topic \"\(text)\" of \(what) is not a valid MQTT topic name (no '+', '#' or NUL)")
        }
        return text
    }

    /// Field names become JSON keys (dots nest) and point names, so `seq` and `ts`, which every
    /// simulated message carries, are taken.
    static let reservedFields: Set<String> = ["seq", "ts"]

    private func telemetry(_ node: Node, _ what: String) throws(DeviceFileError) -> [(name: String, generator: GeneratorSpec)] {
        guard case .mapping(let m) = node else {
            throw source.error(.invalidValue, at: node, "expected a mapping of field names to generators for \"telemetry\" of \(what), found \(source.shown(node))")
        }
        var fields: [(name: String, generator: GeneratorSpec)] = []
        var seen: [String: Node] = [:]
        for (k, v) in m {
            let field = try source.string(k, "a field name of \(what)")
            let segments = field.split(separator: ".", omittingEmptySubsequences: false)
            guard segments.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { IdPattern.isThingNameByte($0) && $0 != UInt8(ascii: ":") } }) else {
                throw source.error(.invalidValue, at: k, "field name \"\(field)\" of \(what) must be letters, digits, '_' or '-', with '.' between nested names")
            }
            guard !Self.reservedFields.contains(String(segments[0])) else {
                throw source.error(.invalidValue, at: k, "field name \"\(field)\" of \(what) is reserved: every simulated message carries \"seq\" and \"ts\"")
            }
            for (other, _) in seen where other.hasPrefix(field + ".") || field.hasPrefix(other + ".") {
                throw source.error(.invalidValue, at: k, "field \"\(field)\" of \(what) clashes with field \"\(other)\": one cannot be both a value and an object")
            }
            seen[field] = k
            fields.append((field, try GeneratorParser(source: source).parse(v, field: field)))
        }
        return fields
    }

    private func shadow(_ node: Node, _ what: String) throws(DeviceFileError) -> ShadowBehaviour {
        let m = try source.mapping(node, "\"shadow\" of \(what)", allowed: ["reported", "applyDesired"])
        var behaviour = ShadowBehaviour(reported: JSONObject())
        if let n = m["reported"] {
            guard case .object(let o) = try source.json(n, "\"shadow.reported\" of \(what)") else {
                throw source.error(.invalidValue, at: n, "expected a mapping for \"shadow.reported\" of \(what), found \(source.shown(n))")
            }
            behaviour.reported = o
        }
        if let n = m["applyDesired"] {
            let a = try source.mapping(n, "\"shadow.applyDesired\" of \(what)", allowed: ["delay"])
            behaviour.applyDesiredDelay = try a["delay"].map { (d) throws(DeviceFileError) in
                try source.duration(d, "\"shadow.applyDesired.delay\" of \(what)")
            } ?? .zero
        }
        return behaviour
    }

    private func fleet(_ node: Node) throws(DeviceFileError) -> FleetDraft {
        let m = try source.mapping(node, "a fleet", allowed: ["name", "type", "count", "idPattern", "start"])
        let fleetName = try name(try m.required("name"), "fleet name")
        let what = "fleet \"\(fleetName)\""
        let typeNode = try m.required("type")
        let typeName = try source.string(typeNode, "\"type\" of \(what)")
        let countNode = try m.required("count")
        let count = try source.int(countNode, "\"count\" of \(what)")
        guard (0...Fleet.maxCount).contains(count) else {
            throw source.error(.invalidValue, at: countNode, "\"count\" of \(what) must be between 0 and \(Fleet.maxCount), found \(count)")
        }
        var start = 0
        if let n = m["start"] {
            start = try source.int(n, "\"start\" of \(what)")
            guard start >= 0 else { throw source.error(.invalidValue, at: n, "\"start\" of \(what) must not be negative") }
        }
        let patternNode = try m.required("idPattern")
        let patternText = try source.string(patternNode, "\"idPattern\" of \(what)")
        let pattern: IdPattern
        switch IdPattern.parse(patternText) {
        case .success(let p): pattern = p
        case .failure(let problem): throw source.error(.invalidIdPattern, at: patternNode, "idPattern \(problem.reason) in \(what)")
        }
        if count > 0 {
            let longest = pattern.name(for: start + count - 1)
            guard IdPattern.isValidThingName(longest) else {
                throw source.error(.invalidIdPattern, at: patternNode,
                                   "idPattern \"\(patternText)\" of \(what) makes thing names longer than \(IdPattern.maxThingNameLength) characters")
            }
        }
        let fleet = Fleet(name: fleetName, typeName: typeName, count: count, idPattern: pattern, start: start,
                          location: source.location(node))
        return FleetDraft(fleet: fleet, typeLocation: source.location(typeNode), patternLocation: source.location(patternNode))
    }
}
