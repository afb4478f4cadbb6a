/// Identifies one shadow: a thing's classic shadow (`shadowName == nil`) or one of its named shadows.
public struct ShadowKey: Sendable, Hashable, CustomStringConvertible {
    public let thingName: String
    public let shadowName: String?

    /// Longest thing name AWS IoT accepts (`[a-zA-Z0-9:_-]{1,128}`).
    public static let maxThingNameLength = 128
    /// Longest shadow name AWS IoT accepts (`[a-zA-Z0-9:_-]{1,64}`).
    public static let maxShadowNameLength = 64

    /// Validates both names against AWS's patterns.
    public init(thingName: String, shadowName: String? = nil) throws(ShadowError) {
        try ShadowKey.validateThingName(thingName)
        if let shadowName { try ShadowKey.validateShadowName(shadowName) }
        self.thingName = thingName
        self.shadowName = shadowName
        // Kept: every answer's topic starts with it.
        if let shadowName {
            topicPrefix = "$aws/things/\(thingName)/shadow/name/\(shadowName)"
        } else {
            topicPrefix = "$aws/things/\(thingName)/shadow"
        }
    }

    /// `thing` for the classic shadow, `thing~name` for a named one (the form AWS uses in ARNs).
    public var description: String {
        if let shadowName { return "\(thingName)~\(shadowName)" }
        return thingName
    }

    /// `$aws/things/{thing}/shadow` or `$aws/things/{thing}/shadow/name/{shadow}`.
    public let topicPrefix: String

    // The names identify the shadow; `topicPrefix` follows from them and would only double the
    // hashing (the shadow service hashes keys several times per update).
    public static func == (a: ShadowKey, b: ShadowKey) -> Bool {
        a.thingName == b.thingName && a.shadowName == b.shadowName
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(thingName)
        hasher.combine(shadowName)
    }

    public static func validateThingName(_ name: String) throws(ShadowError) {
        let n = name.utf8.count
        guard n >= 1 else { throw .invalidName("The thing name is empty; it must match [a-zA-Z0-9:_-]{1,128}.") }
        guard n <= maxThingNameLength else {
            throw .invalidName("The thing name is \(n) characters long; the maximum is \(maxThingNameLength).")
        }
        guard isNameText(name) else {
            throw .invalidName("The thing name '\(name)' must match [a-zA-Z0-9:_-]+.")
        }
    }

    public static func validateShadowName(_ name: String) throws(ShadowError) {
        let n = name.utf8.count
        guard n >= 1 else { throw .invalidName("The shadow name is empty; it must match [a-zA-Z0-9:_-]{1,64}.") }
        guard n <= maxShadowNameLength else {
            throw .invalidName("The shadow name is \(n) characters long; the maximum is \(maxShadowNameLength).")
        }
        guard isNameText(name) else {
            throw .invalidName("The shadow name '\(name)' must match [a-zA-Z0-9:_-]+.")
        }
    }

    static func isNameText(_ s: String) -> Bool {
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
