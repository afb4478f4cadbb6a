/// Counters and latencies of one worker (or the whole run once merged); cumulative.
public struct ShardFigures: Codable, Sendable {
    public var devices = 0
    public var connected = 0
    /// Devices currently connected (a gauge, summed across workers).
    public var online = 0
    public var connectFailed = 0
    public var disconnects = 0
    public var reconnects = 0
    public var sent = 0
    public var acked = 0
    public var failed = 0
    public var malformed = 0
    /// Messages a device was due to send while it was disconnected (not sent, not counted as failed).
    public var skippedOffline = 0
    public var silenced = 0
    public var bytes = 0
    public var shadowReports = 0
    public var shadowDeltas = 0
    /// Time after the last phase until the last acknowledgement (or the drain timeout).
    public var drainSeconds = 0.0
    public var publishAck = LatencyHistogram()
    public var connect = LatencyHistogram()
    public var phases: [PhaseFigures] = []
    /// Distinct error messages, first ones only.
    public var errors: [String] = []

    public init() {}

    public static let maxErrors = 10

    public mutating func note(error: String) {
        if errors.count < Self.maxErrors && !errors.contains(error) { errors.append(error) }
    }

    /// Adds another worker's figures to these.
    public mutating func merge(_ o: ShardFigures) {
        devices += o.devices
        connected += o.connected
        online += o.online
        connectFailed += o.connectFailed
        disconnects += o.disconnects
        reconnects += o.reconnects
        sent += o.sent
        acked += o.acked
        failed += o.failed
        malformed += o.malformed
        skippedOffline += o.skippedOffline
        silenced += o.silenced
        bytes += o.bytes
        shadowReports += o.shadowReports
        shadowDeltas += o.shadowDeltas
        drainSeconds = max(drainSeconds, o.drainSeconds)
        publishAck.add(o.publishAck)
        connect.add(o.connect)
        for (i, p) in o.phases.enumerated() {
            if i < phases.count { phases[i].merge(p) } else { phases.append(p) }
        }
        for e in o.errors { note(error: e) }
    }
}

/// Counters of one phase, attributed by the time a message was sent.
public struct PhaseFigures: Codable, Sendable {
    public var sent = 0
    public var acked = 0
    public var failed = 0
    public var publishAck = LatencyHistogram()

    public init() {}

    public mutating func merge(_ o: PhaseFigures) {
        sent += o.sent
        acked += o.acked
        failed += o.failed
        publishAck.add(o.publishAck)
    }
}
