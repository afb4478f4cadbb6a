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
    /// For a list of plain `expression [AS key]` items with distinct keys (the common case): each
    /// item's `"key":` as JSON bytes, so `write` can emit the result without building an object.
    let flatKeys: [[UInt8]]?

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
        var keys: [String] = []
        for item in items {
            guard case .value(_, let key) = item else { break }
            keys.append(key)
        }
        if !isValue, keys.count == items.count, Set(keys).count == keys.count {
            flatKeys = keys.map { JSONValue.string($0).serializedBytes() + [UInt8(ascii: ":")] }
        } else {
            flatKeys = nil
        }
    }

    /// Appends the JSON text `evaluate(s)` would serialize to; only when `flatKeys` is set.
    func write(_ s: Scope, into out: inout [UInt8]) throws(RuleEvaluationError) {
        guard let flatKeys else { preconditionFailure("Projection.write needs a flat SELECT list") }
        out.append(UInt8(ascii: "{"))
        var first = true
        for (index, item) in items.enumerated() {
            guard case .value(let f, _) = item, let v = try f(s) else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: flatKeys[index])
            v.write(into: &out)
        }
        out.append(UInt8(ascii: "}"))
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
