import IoTCore
import Yams

/// A YAML node with its source position, as `YAMLSource` reads it.
public typealias YAMLNode = Yams.Node

/// Reads typed values out of one file's YAML nodes, turning every mismatch into a located error;
/// shared by the device files and iotsim's scenario files so both report `file:line: message`.
public struct YAMLSource: Sendable {
    public let file: String

    public init(file: String) { self.file = file }

    /// The file's single document, or nil when it is empty; malformed YAML is a `.syntax` error.
    public func compose(_ text: String) throws(DeviceFileError) -> Node? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw syntaxError(e)
        } catch {
            throw DeviceFileError(.syntax, file: file, line: 0, message: "cannot parse YAML: \(error)")
        }
        guard let root, root.tagName != .null else { return nil }
        return root
    }

    private func syntaxError(_ e: YamlError) -> DeviceFileError {
        switch e {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return DeviceFileError(.syntax, file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(ctx)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return DeviceFileError(.duplicateName, file: file, line: context.mark.line, column: context.mark.column,
                                   message: "duplicate key \(duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")) in one mapping")
        default:
            return DeviceFileError(.syntax, file: file, line: 0, message: "cannot parse YAML: \(e)")
        }
    }

    public func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column)
    }

    public func error(_ kind: DeviceFileError.Kind, at node: Node, _ message: String) -> DeviceFileError {
        location(node).error(kind, message)
    }

    /// The node's text as the user wrote it, quoted, for messages.
    public func shown(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    public func mapping(_ node: Node, _ what: String, allowed: [String]) throws(DeviceFileError) -> MappingReader {
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

    public func sequence(_ node: Node, _ what: String) throws(DeviceFileError) -> [Node] {
        guard case .sequence(let s) = node else {
            throw error(.invalidValue, at: node, "expected a list for \(what), found \(shown(node))")
        }
        return Array(s)
    }

    public func string(_ node: Node, _ what: String) throws(DeviceFileError) -> String {
        guard case .scalar(let s) = node, node.tagName != .null else {
            throw error(.invalidValue, at: node, "expected text for \(what), found \(shown(node))")
        }
        return s.string
    }

    public func double(_ node: Node, _ what: String) throws(DeviceFileError) -> Double {
        guard node.tagName == .int || node.tagName == .float, let d = node.float, d.isFinite else {
            throw error(.invalidValue, at: node, "expected a number for \(what), found \(shown(node))")
        }
        return d
    }

    public func int(_ node: Node, _ what: String) throws(DeviceFileError) -> Int {
        guard node.tagName == .int, let i = node.int else {
            throw error(.invalidValue, at: node, "expected a whole number for \(what), found \(shown(node))")
        }
        return i
    }

    public func duration(_ node: Node, _ what: String) throws(DeviceFileError) -> Duration {
        guard case .scalar(let s) = node, let d = DurationText.parse(s.string) else {
            throw error(
                .invalidValue, at: node,
                "expected a duration such as 500ms, 5s or 2m for \(what), found \(shown(node))")
        }
        return d
    }

    /// Scalars become JSON by their resolved YAML tag, so `60` is a number and `"1.4.2"` stays text.
    public func json(_ node: Node, _ what: String) throws(DeviceFileError) -> JSONValue {
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
public struct MappingReader {
    public let source: YAMLSource
    public let node: Node
    public let what: String
    let entries: [String: (key: Node, value: Node)]

    public subscript(key: String) -> Node? { entries[key]?.value }

    public func required(_ key: String) throws(DeviceFileError) -> Node {
        guard let v = entries[key]?.value else {
            throw source.error(.missingKey, at: node, "missing key \"\(key)\" in \(what)")
        }
        return v
    }

    public func has(_ key: String) -> Bool { entries[key] != nil }
}

extension Node {
    /// The resolved YAML tag (`tag:yaml.org,2002:int`, …); Yams keeps `Tag.name` internal.
    public var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}
