/// Topic filters in a trie over topic levels, so finding the filters that match a topic costs
/// in proportion to the topic's depth and the matches, not to the number of filters.
/// Follows MQTT matching (`+` one level, `#` the rest including the parent level) and the
/// `$` rule: filters starting with a wildcard do not match topics starting with `$`.
public struct TopicIndex<ID: Hashable & Sendable, Value: Sendable>: Sendable {
    // Inlinable so callers in other modules get code specialized for their ID and Value;
    // unspecialized generic dictionary access costs microseconds per match.
    @usableFromInline
    struct Node: Sendable {
        @usableFromInline var children: [String: Node] = [:]
        /// The `+` child, kept apart (an array of at most one, for indirection) so matching
        /// does one hash lookup per level.
        @usableFromInline var plus: [Node] = []
        /// Entries whose filter ends with `#` after this node.
        @usableFromInline var multi: [ID: Value] = [:]
        /// Entries whose filter ends at this node.
        @usableFromInline var entries: [ID: Value] = [:]

        @usableFromInline init() {}

        var isEmpty: Bool { children.isEmpty && plus.isEmpty && multi.isEmpty && entries.isEmpty }
    }

    @usableFromInline var root = Node()
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
        TopicIndex.insert(&root, TopicIndex.levels(filter)[...], id, value)
    }

    /// Removes the entry `id`; false when there was none.
    @discardableResult
    public mutating func remove(id: ID) -> Bool {
        guard let filter = filters.removeValue(forKey: id) else { return false }
        TopicIndex.remove(&root, TopicIndex.levels(filter)[...], id)
        return true
    }

    /// The values of every entry whose filter matches `topic`, in no particular order.
    @inlinable
    public func match(_ topic: String) -> [Value] {
        var out: [Value] = []
        let levels = TopicIndex.levels(topic)
        let dollar = topic.utf8.first == UInt8(ascii: "$")
        TopicIndex.collect(root, levels, 0, dollar, &out)
        return out
    }

    /// Splits on '/' by bytes into Strings: splitting by Character walks grapheme clusters and
    /// hashing a Substring takes a slow normalizing path, each costing more than the trie walk.
    /// Scans the contiguous bytes (the generic `split` over a `UTF8View` showed up per message);
    /// levels up to 15 bytes become small Strings without an allocation.
    @inlinable
    static func levels(_ topic: String) -> [String] {
        var topic = topic
        return topic.withUTF8 { bytes in
            var out: [String] = []
            out.reserveCapacity(8)
            var start = 0
            for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "/") {
                out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                start = i + 1
            }
            out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]), as: UTF8.self))
            return out
        }
    }

    private static func insert(_ node: inout Node, _ levels: ArraySlice<String>, _ id: ID, _ value: Value) {
        guard let head = levels.first else {
            node.entries[id] = value
            return
        }
        switch head {
        case "#":
            node.multi[id] = value
        case "+":
            if node.plus.isEmpty { node.plus.append(Node()) }
            insert(&node.plus[0], levels.dropFirst(), id, value)
        default:
            insert(&node.children[head, default: Node()], levels.dropFirst(), id, value)
        }
    }

    private static func remove(_ node: inout Node, _ levels: ArraySlice<String>, _ id: ID) {
        guard let head = levels.first else {
            node.entries[id] = nil
            return
        }
        switch head {
        case "#":
            node.multi[id] = nil
        case "+":
            guard !node.plus.isEmpty else { return }
            remove(&node.plus[0], levels.dropFirst(), id)
            if node.plus[0].isEmpty { node.plus = [] }
        default:
            guard node.children[head] != nil else { return }
            remove(&node.children[head]!, levels.dropFirst(), id)
            if node.children[head]!.isEmpty { node.children[head] = nil }
        }
    }

    @inlinable
    static func collect(_ node: Node, _ levels: [String], _ i: Int, _ dollar: Bool, _ out: inout [Value]) {
        let wildcardsAllowed = !(i == 0 && dollar)
        if wildcardsAllowed, !node.multi.isEmpty {
            out.append(contentsOf: node.multi.values)
        }
        if i == levels.count {
            out.append(contentsOf: node.entries.values)
            return
        }
        if let child = node.children[levels[i]] {
            collect(child, levels, i + 1, dollar, &out)
        }
        if wildcardsAllowed, let plus = node.plus.first {
            collect(plus, levels, i + 1, dollar, &out)
        }
    }
}
