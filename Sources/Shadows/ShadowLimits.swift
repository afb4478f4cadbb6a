/// Size and shape limits applied to shadow updates; the defaults are AWS IoT's service quotas.
public struct ShadowLimits: Sendable, Equatable {
    /// Largest `desired` plus `reported` state after the update, in bytes of compact JSON
    /// (no insignificant whitespace; metadata not counted, as the AWS quota says). AWS: 8 KB.
    public var maxStateBytes: Int
    /// Deepest nesting of containers within `desired` or `reported`, the section object itself
    /// counting as level 1. AWS: 6 ("maximum depth of a JSON device state document").
    public var maxDepth: Int
    /// Longest clientToken in UTF-8 bytes. AWS: 64.
    public var maxClientTokenBytes: Int
    /// Largest request payload accepted before parsing. AWS IoT caps an MQTT message at 128 KB.
    public var maxRequestBytes: Int

    public init(maxStateBytes: Int = 8 * 1024, maxDepth: Int = 6, maxClientTokenBytes: Int = 64,
                maxRequestBytes: Int = 128 * 1024) {
        self.maxStateBytes = maxStateBytes
        self.maxDepth = maxDepth
        self.maxClientTokenBytes = maxClientTokenBytes
        self.maxRequestBytes = maxRequestBytes
    }
}
