/// A fault injected on purpose, so the gateway's alarms and error paths can be exercised.
public struct Fault: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// `fraction` of the devices disconnect at `at` and reconnect after `pauseSeconds`.
        case disconnect
        /// `fraction` of the messages in the window carry a truncated, non-JSON payload.
        case malformed
        /// `fraction` of the devices send `ts` (and timestamp fields) off by `skewSeconds`.
        case clockSkew
        /// `fraction` of the devices stop publishing in the window but stay connected.
        case silent
    }

    public var kind: Kind
    public var fraction: Double
    /// Start of the window, seconds after the phases begin.
    public var at: Double
    /// Length of the window; nil means to the end of the run.
    public var seconds: Double?
    public var pauseSeconds: Double
    public var skewSeconds: Double

    public init(kind: Kind, fraction: Double, at: Double = 0, seconds: Double? = nil, pauseSeconds: Double = 1, skewSeconds: Double = 0) {
        self.kind = kind
        self.fraction = fraction
        self.at = at
        self.seconds = seconds
        self.pauseSeconds = pauseSeconds
        self.skewSeconds = skewSeconds
    }

    /// True when `t` (seconds after the phases begin) lies in the fault's window.
    public func isActive(at t: Double) -> Bool {
        t >= at && (seconds.map { t < at + $0 } ?? true)
    }
}
