/// A fleet's thing-name pattern: literal text around one zero-padded index, as in `pump-{0000}`.
public struct IdPattern: Sendable, Hashable, CustomStringConvertible {
    public var prefix: String
    public var suffix: String
    /// Minimum digits of the index; wider indexes are written in full.
    public var width: Int

    /// Thing names are MQTT client ids and usernames, so they keep to characters safe in both.
    public static func isValidThingName(_ name: String) -> Bool {
        (1...maxThingNameLength).contains(name.utf8.count) && name.utf8.allSatisfy(isThingNameByte)
    }

    public static let maxThingNameLength = 128

    static func isThingNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: ":") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    /// Reads `text`, or returns why it is not a pattern (a phrase completing "idPattern … ").
    public static func parse(_ text: String) -> Result<IdPattern, IdPatternProblem> {
        guard let open = text.firstIndex(of: "{"), let close = text[open...].firstIndex(of: "}") else {
            return .failure(IdPatternProblem("\"\(text)\" has no index placeholder such as {0000}"))
        }
        let prefix = String(text[..<open])
        let suffix = String(text[text.index(after: close)...])
        let zeros = text[text.index(after: open)..<close]
        guard !zeros.isEmpty, zeros.allSatisfy({ $0 == "0" }) else {
            return .failure(IdPatternProblem("\"\(text)\" has placeholder {\(zeros)}; write zeros for the padded width, e.g. {0000}"))
        }
        guard !suffix.contains("{") && !suffix.contains("}") && !prefix.contains("}") else {
            return .failure(IdPatternProblem("\"\(text)\" must contain exactly one index placeholder"))
        }
        if let bad = (prefix + suffix).first(where: { !$0.isASCII || !isThingNameByte($0.asciiValue ?? 0) }) {
            return .failure(IdPatternProblem(
                "\"\(text)\" contains \"\(bad)\", which thing names may not (letters, digits, ':', '_', '-')"))
        }
        return .success(IdPattern(prefix: prefix, suffix: suffix, width: zeros.count))
    }

    public init(prefix: String, suffix: String, width: Int) {
        self.prefix = prefix
        self.suffix = suffix
        self.width = width
    }

    /// The thing name for `index` (`pump-{0000}`, 7 → `pump-0007`).
    public func name(for index: Int) -> String {
        let digits = String(index)
        return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits + suffix
    }

    /// The index `name` was made from, or nil when this pattern cannot produce `name`.
    public func index(of name: String) -> Int? {
        guard name.utf8.count > prefix.utf8.count + suffix.utf8.count, name.hasPrefix(prefix), name.hasSuffix(suffix)
        else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let i = Int(digits), self.name(for: i) == name else {
            return nil
        }
        return i
    }

    public var description: String { prefix + "{" + String(repeating: "0", count: width) + "}" + suffix }
}

/// Why a text is not an id pattern.
public struct IdPatternProblem: Error, Sendable, Equatable {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}
