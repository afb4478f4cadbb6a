import IoTCore

/// A compiled SELECT list: builds the output object (or value) for one document.
struct Projection: Sendable {
    enum Item: Sendable {
        case all
        case value(Evaluator, key: String)
        case nested(Evaluator, path: [String])
    }

    let isValue: Bool
    let items: [Item]

    init(_ statement: SelectStatement) throws(RuleSQLError) {
        isValue = statement.isValue
        var items: [Item] = []
        for item in statement.items {
            switch item {
            case .all: items.append(.all)
            case .expression(let e, let key):
                let f = try Compiler.compile(e)
                if key.count <= 1 {
                    items.append(.value(f, key: key.first ?? ""))
                } else {
                    items.append(.nested(f, path: key))
                }
            }
        }
        self.items = items
    }

    var selectsOnlyAll: Bool {
        if items.count == 1, case .all = items[0] { return true }
        return false
    }

    func evaluate(_ s: Scope) throws(RuleEvaluationError) -> JSONValue? {
        if isValue {
            guard case .value(let f, _) = items[0] else { return nil }
            return try f(s)
        }
        var out = JSONObject(minimumCapacity: items.count)
        for item in items {
            switch item {
            case .all:
                if case .object(let o)? = s.document {
                    if out.isEmpty {
                        out = o
                    } else {
                        for (k, v) in o { out[k] = v }
                    }
                }
            case .value(let f, let key):
                if let v = try f(s) { out[key] = v }
            case .nested(let f, let path):
                if let v = try f(s) { Projection.set(&out, path[...], v) }
            }
        }
        return .object(out)
    }

    /// Writes `v` at `a.b.c`, creating (or replacing non-object) intermediate objects.
    static func set(_ o: inout JSONObject, _ path: ArraySlice<String>, _ v: JSONValue) {
        let head = path.first!
        if path.count == 1 {
            o[head] = v
            return
        }
        var inner = o[head]?.objectValue ?? JSONObject()
        // Release the stored copy first so `inner` is mutated in place, keeping the key's position.
        o[head] = .null
        set(&inner, path.dropFirst(), v)
        o[head] = .object(inner)
    }
}
