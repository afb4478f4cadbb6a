/// Topic filters in a trie over topic levels, so finding the filters that match a topic costs
/// in proportion to the topic's depth and the matches, not to the number of filters.
/// Follows MQTT matching (`+` one level, `#` the rest including the parent level) and the
/// `$` rule: filters starting with a wildcard do not match topics starting with `$`.
public struct TopicIndex<ID: Hashable & Sendable, Value: Sendable>: Sendable {
    struct Node: Sendable {
        var children: [Substring: Node] = [:]
        /// Entries whose filter ends at this node.
        var entries: [ID: Value] = [:]

        var isEmpty: Bool { children.isEmpty && entries.isEmpty }
    }

    private var root = Node()
    private var filters: [ID: String] = [:]

    public init() {}

    /// Number of entries.
    public var count: Int { filters.count }

    /// The filter an id was inserted with.
    public func filter(for id: ID) -> String? { filters[id] }

    /// Adds (or replaces) the entry `id` under `filter`. The filter must be valid (`Topic.isValidFilter`).
    public mutating func insert(filter: String, id: ID, value: Value) {
        precondition(Topic.isValidFilter(filter), "invalid topic filter \(filter)")
        remove(id: id)
        filters[id] = filter
        let levels = Topic.levels(filter)
        TopicIndex.insert(&root, levels[...], id, value)
    }

    /// Removes the entry `id`; false when there was none.
    @discardableResult
    public mutating func remove(id: ID) -> Bool {
        guard let filter = filters.removeValue(forKey: id) else { return false }
        TopicIndex.remove(&root, Topic.levels(filter)[...], id)
        return true
    }

    /// The values of every entry whose filter matches `topic`, in no particular order.
    public func match(_ topic: String) -> [Value] {
        var out: [Value] = []
        let levels = Topic.levels(topic)
        let dollar = topic.utf8.first == UInt8(ascii: "$")
        TopicIndex.collect(root, levels, 0, dollar, &out)
        return out
    }

    private static func insert(_ node: inout Node, _ levels: ArraySlice<Substring>, _ id: ID, _ value: Value) {
        guard let head = levels.first else {
            node.entries[id] = value
            return
        }
        insert(&node.children[head, default: Node()], levels.dropFirst(), id, value)
    }

    private static func remove(_ node: inout Node, _ levels: ArraySlice<Substring>, _ id: ID) {
        guard let head = levels.first else {
            node.entries[id] = nil
            return
        }
        guard node.children[head] != nil else { return }
        remove(&node.children[head]!, levels.dropFirst(), id)
        if node.children[head]!.isEmpty { node.children[head] = nil }
    }

    private static func collect(_ node: Node, _ levels: [Substring], _ i: Int, _ dollar: Bool, _ out: inout [Value]) {
        let wildcardsAllowed = !(i == 0 && dollar)
        if wildcardsAllowed, let multi = node.children["#"] {
            out.append(contentsOf: multi.entries.values)
        }
        if i == levels.count {
            out.append(contentsOf: node.entries.values)
            return
        }
        if let child = node.children[levels[i]] {
            collect(child, levels, i + 1, dollar, &out)
        }
        if wildcardsAllowed, let plus = node.children["+"] {
            collect(plus, levels, i + 1, dollar, &out)
        }
    }
}
