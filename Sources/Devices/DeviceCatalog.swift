import Foundation

/// Every device type and fleet defined by a `devices/` folder, merged and cross-checked.
public struct DeviceCatalog: Sendable {
    public var deviceTypes: [String: DeviceType]
    /// In file order, files sorted by name.
    public var fleets: [Fleet]

    public init(deviceTypes: [String: DeviceType] = [:], fleets: [Fleet] = []) {
        self.deviceTypes = deviceTypes
        self.fleets = fleets
    }

    /// Loads every `*.yaml` and `*.yml` file in `directory`, in name order.
    public static func load(directory: String) throws(DeviceFileError) -> DeviceCatalog {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DeviceFileError(.unreadable, file: directory, line: 0, message: "cannot list the devices folder (\(error.localizedDescription))")
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { base + "/" + $0 }
        return try load(files: files)
    }

    /// Loads the given files, in the given order.
    public static func load(files: [String]) throws(DeviceFileError) -> DeviceCatalog {
        var parsed: [DeviceFile] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw DeviceFileError(.unreadable, file: file, line: 0, message: "cannot read the file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw DeviceFileError(.unreadable, file: file, line: 0, message: "the file is not UTF-8 text")
            }
            parsed.append(try DeviceFileParser(file: file).parse(text))
        }
        return try merge(parsed)
    }

    /// Parses one file's text; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws(DeviceFileError) -> DeviceCatalog {
        try merge([try DeviceFileParser(file: file).parse(yaml)])
    }

    static func merge(_ files: [DeviceFile]) throws(DeviceFileError) -> DeviceCatalog {
        var catalog = DeviceCatalog()
        for type in files.flatMap(\.deviceTypes) {
            if let first = catalog.deviceTypes[type.name] {
                throw type.location.error(.duplicateName, "device type \"\(type.name)\" is already defined at \(first.location)")
            }
            catalog.deviceTypes[type.name] = type
        }
        var accepted: [FleetDraft] = []
        for draft in files.flatMap(\.fleets) {
            let fleet = draft.fleet
            if let first = accepted.first(where: { $0.fleet.name == fleet.name }) {
                throw fleet.location.error(.duplicateName, "fleet \"\(fleet.name)\" is already defined at \(first.fleet.location)")
            }
            guard catalog.deviceTypes[fleet.typeName] != nil else {
                let known = catalog.deviceTypes.keys.sorted().joined(separator: ", ")
                throw draft.typeLocation.error(
                    .unknownDeviceType, "unknown device type \"\(fleet.typeName)\" for fleet \"\(fleet.name)\" (known: \(known.isEmpty ? "none" : known))")
            }
            for other in accepted {
                if let shared = sharedThing(fleet, other.fleet) {
                    throw draft.patternLocation.error(
                        .duplicateName, "fleet \"\(fleet.name)\" makes thing \"\(shared)\", which fleet \"\(other.fleet.name)\" at \(other.fleet.location) also makes")
                }
            }
            accepted.append(draft)
            catalog.fleets.append(fleet)
        }
        return catalog
    }

    /// A thing name both fleets produce, found by walking the smaller fleet and asking the other.
    private static func sharedThing(_ a: Fleet, _ b: Fleet) -> String? {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        guard small.count > 0, large.count > 0 else { return nil }
        let p = small.idPattern, q = large.idPattern
        // Names from different literal parts can only meet if one prefix extends the other.
        guard p.prefix.hasPrefix(q.prefix) || q.prefix.hasPrefix(p.prefix),
              p.suffix.hasSuffix(q.suffix) || q.suffix.hasSuffix(p.suffix) else { return nil }
        for ordinal in 0..<small.count {
            let name = small.thingName(ordinal: ordinal)
            if large.ordinal(of: name) != nil { return name }
        }
        return nil
    }

    /// Every fleet expanded, in fleet order then index.
    public func things() -> [ThingSpec] {
        fleets.flatMap { things(in: $0, count: $0.count) }
    }

    /// The first `count` things of `fleet`; `count` may exceed the fleet's own count.
    public func things(in fleet: Fleet, count: Int) -> [ThingSpec] {
        guard let type = deviceTypes[fleet.typeName] else { return [] }
        return (0..<max(0, count)).map { ordinal in
            let name = fleet.thingName(ordinal: ordinal)
            return ThingSpec(name: name, typeName: type.name, fleetName: fleet.name, index: fleet.start + ordinal,
                             telemetryTopic: type.telemetryTopic(for: name))
        }
    }

    /// The thing called `name` in any fleet, or nil.
    public func thing(named name: String) -> ThingSpec? {
        for fleet in fleets {
            if let ordinal = fleet.ordinal(of: name), let type = deviceTypes[fleet.typeName] {
                return ThingSpec(name: name, typeName: type.name, fleetName: fleet.name, index: fleet.start + ordinal,
                                 telemetryTopic: type.telemetryTopic(for: name))
            }
        }
        return nil
    }

    /// The fleet called `name`, or nil.
    public func fleet(named name: String) -> Fleet? { fleets.first { $0.name == name } }
}
