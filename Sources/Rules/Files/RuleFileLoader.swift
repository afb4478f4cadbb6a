import Foundation
import IoTCore
import Yams

/// Reads rule files (YAML, one rule or a list per file) into compiled rules and diagnostics.
public struct RuleFileLoader: Sendable {
    public var registry: ActionRegistry
    public static let maxActions = 10
    public static let supportedSQLVersion = "2016-03-23"
    static let knownKeys = ["name", "description", "sql", "awsIotSqlVersion", "enabled", "ruleDisabled", "actions", "errorAction"]

    public init(registry: ActionRegistry = .standard) {
        self.registry = registry
    }

    /// Loads files and folders (every `.yaml`/`.yml` file in a folder); names must be unique across all.
    public func load(paths: [String]) -> RuleLoadResult {
        var result = RuleLoadResult()
        for file in RuleFileLoader.expand(paths, diagnostics: &result.diagnostics) {
            let one = load(file: file)
            result.diagnostics += one.diagnostics
            result.failedRuleNames.formUnion(one.failedRuleNames)
            result.rules += one.rules
        }
        RuleFileLoader.rejectDuplicates(&result)
        return result
    }

    /// Loads one file.
    public func load(file: String) -> RuleLoadResult {
        guard let data = FileManager.default.contents(atPath: file) else {
            var r = RuleLoadResult()
            r.diagnostics.append(RuleDiagnostic(file: file, line: 1, column: 1, message: "The file cannot be read."))
            return r
        }
        guard let text = String(data: data, encoding: .utf8) else {
            var r = RuleLoadResult()
            r.diagnostics.append(RuleDiagnostic(file: file, line: 1, column: 1, message: "The file is not UTF-8 text."))
            return r
        }
        return load(text: text, file: file)
    }

    /// Loads rules from YAML (or JSON) text; `file` names it in diagnostics. `name` supplies the
    /// rule name when the text has none (a REST body for `/rules/{rule}`).
    public func load(text: String, file: String, name: String? = nil) -> RuleLoadResult {
        var context = Context(file: file, positions: YAMLPositions(text: text), registry: registry)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            context.yamlError(error)
            var r = RuleLoadResult()
            r.diagnostics = context.diagnostics
            return r
        }
        guard let root else {
            context.error("The file has no rules; write a rule mapping (name, sql, actions) or a list of them.", line: 1, column: 1)
            var r = RuleLoadResult()
            r.diagnostics = context.diagnostics
            return r
        }
        var result = RuleLoadResult()
        switch root {
        case .sequence(let items):
            for item in items {
                if let rule = context.rule(item, defaultName: nil) { result.rules.append(rule) }
            }
        default:
            if let rule = context.rule(root, defaultName: name) { result.rules.append(rule) }
        }
        result.diagnostics = context.diagnostics
        result.failedRuleNames = context.failedNames
        RuleFileLoader.rejectDuplicates(&result)
        return result
    }

    static func expand(_ paths: [String], diagnostics: inout [RuleDiagnostic]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(RuleDiagnostic(file: path, line: 1, column: 1, message: "No such file or folder."))
                continue
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for n in names.sorted() where n.hasSuffix(".yaml") || n.hasSuffix(".yml") {
                    files.append(path.hasSuffix("/") ? path + n : path + "/" + n)
                }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Keeps the first rule of each name; later ones become errors that name both places.
    static func rejectDuplicates(_ result: inout RuleLoadResult) {
        var seen: [String: SourceLocation] = [:]
        var kept: [RuleDefinition] = []
        for rule in result.rules {
            if let first = seen[rule.name] {
                result.diagnostics.append(
                    RuleDiagnostic(
                        file: rule.location.file, line: rule.location.line, column: rule.location.column,
                        message:
                            "The rule name '\(rule.name)' is already used at \(first) (in \(first.file) and \(rule.location.file)); rule names must be unique.",
                        sourceLine: nil, ruleName: rule.name))
                continue
            }
            seen[rule.name] = rule.location
            kept.append(rule)
        }
        result.rules = kept
    }
}

/// Walks one file's YAML, collecting diagnostics.
private struct Context {
    let file: String
    let positions: YAMLPositions
    let registry: ActionRegistry
    var diagnostics: [RuleDiagnostic] = []
    var failedNames: Set<String> = []
    var currentRule: String?

    init(file: String, positions: YAMLPositions, registry: ActionRegistry) {
        self.file = file
        self.positions = positions
        self.registry = registry
    }

    mutating func error(_ message: String, line: Int, column: Int) {
        diagnostics.append(
            RuleDiagnostic(
                file: file, line: line, column: column, message: message, sourceLine: positions.lineText(line),
                ruleName: currentRule))
    }

    mutating func error(_ message: String, at node: Node) {
        error(message, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    mutating func yamlError(_ e: Error) {
        if let y = e as? YamlError {
            switch y {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                error("The file is not valid YAML: \(problem).", line: mark.line, column: mark.column)
                return
            default: break
            }
        }
        error("The file is not valid YAML: \(e).", line: 1, column: 1)
    }

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    mutating func rule(_ node: Node, defaultName: String?) -> RuleDefinition? {
        currentRule = nil
        guard case .mapping(let mapping) = node else {
            error("A rule must be a mapping with name, sql and actions.", at: node)
            return nil
        }
        var fields: [String: (key: Node, value: Node)] = [:]
        let before = diagnostics.count
        for (k, v) in mapping {
            guard let key = k.scalar?.string else {
                error("Rule keys must be plain names.", at: k)
                continue
            }
            if !RuleFileLoader.knownKeys.contains(key) {
                error(
                    "Unknown rule field '\(key)'; the fields are \(RuleFileLoader.knownKeys.joined(separator: ", ")).",
                    at: k)
            }
            fields[key] = (k, v)
        }
        var name = defaultName ?? ""
        if let n = fields["name"] {
            if let s = string(n.value, field: "name") { name = s }
        } else if defaultName == nil {
            error("The rule has no 'name'.", at: node)
        }
        if !name.isEmpty {
            currentRule = name
            if name.range(of: "^[a-zA-Z0-9_]+$", options: .regularExpression) == nil || name.count > 128 {
                error(
                    "The rule name '\(name)' may contain only letters, digits and underscores (at most 128).",
                    at: fields["name"]?.value ?? node)
            }
        }
        let description = fields["description"].flatMap { string($0.value, field: "description") }
        var version = RuleFileLoader.supportedSQLVersion
        if let v = fields["awsIotSqlVersion"], let s = string(v.value, field: "awsIotSqlVersion") {
            version = s
            if s != RuleFileLoader.supportedSQLVersion {
                error(
                    "The SQL version '\(s)' is not supported; use awsIotSqlVersion: \"\(RuleFileLoader.supportedSQLVersion)\".",
                    at: v.value)
            }
        }
        var enabled = true
        if let e = fields["enabled"], let b = bool(e.value, field: "enabled") { enabled = b }
        if let d = fields["ruleDisabled"], let b = bool(d.value, field: "ruleDisabled") { enabled = !b }

        var compiled: CompiledRule?
        var sqlText = ""
        if let s = fields["sql"] {
            if let text = string(s.value, field: "sql") {
                sqlText = text
                do {
                    compiled = try CompiledRule(sql: text)
                } catch {
                    let (line, column) = positions.map(s.value, error.position)
                    self.error("Invalid SQL: \(error.message)", line: line, column: column)
                }
            }
        } else {
            error("The rule has no 'sql'.", at: node)
        }

        var actions: [RuleActionSpec] = []
        if let a = fields["actions"] {
            switch a.value {
            case .sequence(let list):
                if list.count > RuleFileLoader.maxActions {
                    error("A rule has at most \(RuleFileLoader.maxActions) actions; this one has \(list.count).", at: a.value)
                }
                for item in list {
                    if let spec = action(item) { actions.append(spec) }
                }
            case .scalar(let s) where s.string.isEmpty || s.string == "null" || s.string == "~":
                break
            default:
                error("'actions' must be a list of actions, such as - republish: {topic: \"out/${topic(2)}\"}.", at: a.value)
            }
        }
        var errorActions: [RuleActionSpec] = []
        if let e = fields["errorAction"] {
            switch e.value {
            case .sequence(let list):
                for item in list {
                    if let spec = action(item) { errorActions.append(spec) }
                }
            case .mapping:
                if let spec = action(e.value) { errorActions.append(spec) }
            default:
                error("'errorAction' must be an action or a list of actions.", at: e.value)
            }
        }
        let failed = diagnostics.count > before
        if failed {
            if !name.isEmpty { failedNames.insert(name) }
            return nil
        }
        guard let compiled else { return nil }
        return RuleDefinition(
            name: name, description: description, sql: sqlText, awsIotSqlVersion: version, enabled: enabled,
            actions: actions, errorActions: errorActions, rule: compiled, location: location(node))
    }

    mutating func action(_ node: Node) -> RuleActionSpec? {
        guard case .mapping(let m) = node, m.count == 1, let (k, v) = m.first, let kind = k.scalar?.string else {
            error("An action is a mapping with one key, its kind, such as republish: {topic: \"a/b\"}.", at: node)
            return nil
        }
        guard let validator = registry.validators[kind] else {
            error("Unknown action kind '\(kind)'; the known kinds are \(registry.kinds.joined(separator: ", ")).", at: k)
            return nil
        }
        var values = JSONObject()
        var valueNodes: [String: Node] = [:]
        var nameNodes: [String: Node] = [:]
        switch v {
        case .mapping(let params):
            for (pk, pv) in params {
                guard let key = pk.scalar?.string else {
                    error("Action parameter names must be plain names.", at: pk)
                    continue
                }
                values[key] = json(pv)
                valueNodes[key] = pv
                nameNodes[key] = pk
            }
        case .scalar(let s) where s.string.isEmpty || s.string == "null" || s.string == "~":
            break
        default:
            error("The parameters of the \(kind) action must be a mapping.", at: v)
            return nil
        }
        let parameters = ActionParameters(kind: kind, values: values)
        let issues = validator(parameters)
        for issue in issues {
            if let field = issue.field, let fieldNode = valueNodes[field] {
                if issue.atName, let nameNode = nameNodes[field] {
                    error(issue.message, at: nameNode)
                } else if let offset = issue.offset {
                    let (line, column) = positions.map(fieldNode, offset)
                    error(issue.message, line: line, column: column)
                } else {
                    error(issue.message, at: fieldNode)
                }
            } else {
                error(issue.message, at: k)
            }
        }
        if !issues.isEmpty { return nil }
        return RuleActionSpec(kind: kind, parameters: parameters, location: location(k))
    }

    mutating func string(_ node: Node, field: String) -> String? {
        guard case .scalar(let s) = node else {
            error("'\(field)' must be a string.", at: node)
            return nil
        }
        return s.string
    }

    mutating func bool(_ node: Node, field: String) -> Bool? {
        if case .scalar(let s) = node {
            switch s.string.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        }
        error("'\(field)' must be true or false.", at: node)
        return nil
    }

    /// YAML to JSON with YAML 1.2 core-schema typing for plain scalars.
    func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let s):
            guard s.style == .plain || s.style == .any else { return .string(s.string) }
            let t = s.string
            switch t {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let i = Int64(t) { return .int(i) }
            if t.contains(where: { $0.isNumber }), let d = Double(t), d.isFinite { return .double(d) }
            return .string(t)
        case .mapping(let m):
            var o = JSONObject()
            for (k, v) in m { o[k.scalar?.string ?? ""] = json(v) }
            return .object(o)
        case .sequence(let list):
            return .array(list.map { json($0) })
        case .alias:
            return .null
        }
    }
}
