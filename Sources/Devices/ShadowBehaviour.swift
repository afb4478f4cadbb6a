import IoTCore

/// How a simulated device uses its shadow: what it reports on connect and whether it follows `desired`.
public struct ShadowBehaviour: Sendable, Hashable {
    /// Reported in full when the device connects.
    public var reported: JSONObject
    /// When set, the device applies `desired` fields from `update/delta` after this delay and reports them back.
    public var applyDesiredDelay: Duration?

    public init(reported: JSONObject, applyDesiredDelay: Duration? = nil) {
        self.reported = reported
        self.applyDesiredDelay = applyDesiredDelay
    }
}
