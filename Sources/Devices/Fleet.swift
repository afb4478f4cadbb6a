/// A number of things of one device type, named by an id pattern.
public struct Fleet: Sendable, Hashable {
    public var name: String
    public var typeName: String
    public var count: Int
    public var idPattern: IdPattern
    /// The index of the first thing (`start: 1` with `pump-{000}` begins at `pump-001`).
    public var start: Int
    /// Where the fleet is defined.
    public var location: SourceLocation

    public init(name: String, typeName: String, count: Int, idPattern: IdPattern, start: Int = 0,
                location: SourceLocation = SourceLocation(file: "", line: 0)) {
        self.name = name
        self.typeName = typeName
        self.count = count
        self.idPattern = idPattern
        self.start = start
        self.location = location
    }

    /// The name of the fleet's `ordinal`-th thing (0-based), also past `count`, as iotsim's `--count` allows.
    public func thingName(ordinal: Int) -> String { idPattern.name(for: start + ordinal) }

    /// The ordinal of `name` within the fleet's `count`, or nil when the fleet does not hold it.
    public func ordinal(of name: String) -> Int? {
        guard let index = idPattern.index(of: name), index >= start, index - start < count else { return nil }
        return index - start
    }

    /// Upper bound on `count`; each thing costs the gateway a password entry and ACL lines.
    public static let maxCount = 1_000_000
}
