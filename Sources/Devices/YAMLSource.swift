import IoTCore
import Yams

/// Reads typed values out of one file's YAML nodes, turning every mismatch into a located error.
struct YAMLSource {
    let file: String

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column)
    }

    func error(_ kind: DeviceFileError.Kind, at node: Node, _ message: String) -> DeviceFileError {
        location(node).error(kind, message)
    }

    /// The node's text as the user wrote it, quoted, for messages.
    func shown(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    func mapping(_ node: Node, _ what: String, allowed: [String]) throws(DeviceFileError) -> MappingReader {
        guard case .mapping(let m) = node else {
            throw error(.invalidValue, at: node, "expected a mapping for \(what), found \(shown(node))")
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                throw error(.invalidValue, at: k, "keys of \(what) must be plain names, found \(shown(k))")
            }
            guard allowed.contains(ks.string) else {
                throw error(
                    .unknownKey, at: k,
                    "unknown key \"\(ks.string)\" in \(what) (known: \(allowed.joined(separator: ", ")))")
            }
            entries[ks.string] = (k, v)
        }
        return MappingReader(source: self, node: node, what: what, entries: entries)
    }

    func sequence(_ node: Node, _ what: String) throws(DeviceFileError) -> [Node] {
        guard case .sequence(let s) = node else {
            throw error(.invalidValue, at: node, "expected a list for \(what), found \(shown(node))")
        }
        return Array(s)
    }

    func string(_ node: Node, _ what: String) throws(DeviceFileError) -> String {
        guard case .scalar(let s) = node, node.tagName != .null else {
            throw error(.invalidValue, at: node, "expected text for \(what), found \(shown(node))")
        }
        return s.string
    }

    func double(_ node: Node, _ what: String) throws(DeviceFileError) -> Double {
        guard node.tagName == .int || node.tagName == .float, let d = node.float, d.isFinite else {
            throw error(.invalidValue, at: node, "expected a number for \(what), found \(shown(node))")
        }
        return d
    }

    func int(_ node: Node, _ what: String) throws(DeviceFileError) -> Int {
        guard node.tagName == .int, let i = node.int else {
            throw error(.invalidValue, at: node, "expected a whole number for \(what), found \(shown(node))")
        }
        return i
    }

    func duration(_ node: Node, _ what: String) throws(DeviceFileError) -> Duration {
        guard case .scalar(let s) = node, let d = DurationText.parse(s.string) else {
            throw error(
                .invalidValue, at: node,
                "expected a duration such as 500ms, 5s or 2m for \(what), found \(shown(node))")
        }
        return d
    }

    /// Scalars become JSON by their resolved YAML tag, so `60` is a number and `"1.4.2"` stays text.
    func json(_ node: Node, _ what: String) throws(DeviceFileError) -> JSONValue {
        switch node {
        case .scalar(let s):
            switch node.tagName {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(s.string)
            case .int: return node.int.map { .int(Int64($0)) } ?? .string(s.string)
            case .float:
                guard let d = node.float, d.isFinite else {
                    throw error(.invalidValue, at: node, "\(shown(node)) in \(what) has no JSON equivalent")
                }
                return .double(d)
            default: return .string(s.string)
            }
        case .sequence(let seq):
            var out: [JSONValue] = []
            for element in seq { out.append(try json(element, what)) }
            return .array(out)
        case .mapping(let m):
            var out = JSONObject()
            for (k, v) in m { out[try string(k, "a key in \(what)")] = try json(v, what) }
            return .object(out)
        case .alias:
            throw error(.invalidValue, at: node, "aliases are not supported in \(what)")
        }
    }
}

/// The entries of one YAML mapping whose keys were already checked against the known ones.
struct MappingReader {
    let source: YAMLSource
    let node: Node
    let what: String
    let entries: [String: (key: Node, value: Node)]

    subscript(key: String) -> Node? { entries[key]?.value }

    func required(_ key: String) throws(DeviceFileError) -> Node {
        guard let v = entries[key]?.value else {
            throw source.error(.missingKey, at: node, "missing key \"\(key)\" in \(what)")
        }
        return v
    }

    func has(_ key: String) -> Bool { entries[key] != nil }
}

extension Node {
    /// The resolved YAML tag (`tag:yaml.org,2002:int`, …); Yams keeps `Tag.name` internal.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}
