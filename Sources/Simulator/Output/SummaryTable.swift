import Foundation

/// The final summary printed after a run: a few aligned lines a person reads at a glance.
public enum SummaryTable {
    public static func render(_ r: SimulationReport) -> String {
        var lines: [String] = []
        let c = r.config
        let rate = c.ratePerDevice.map { String(format: "%g/s per device", $0) } ?? "device type interval"
        lines.append("iotsim: fleet \(c.fleet), \(c.count) devices, \(rate), \(String(format: "%g", c.durationSeconds))s, broker \(c.broker), \(c.workers) process\(c.workers == 1 ? "" : "es"), seed \(c.seed)")
        let d = r.devices
        lines.append("  devices   connected \(d.connected)/\(d.requested)  connect failures \(d.connectFailed)  disconnects \(d.disconnects)  reconnects \(d.reconnects)  connect took \(String(format: "%.1f", r.connectSeconds))s")
        let m = r.messages
        lines.append("  messages  sent \(m.sent)  acked \(m.acked)  failed \(m.failed)  malformed \(m.malformed)  skipped offline \(m.skippedOffline)  \(String(format: "%.1f", m.ackedPerSecond)) acked/s")
        let l = r.latencyMs.publishAck
        lines.append("  latency   publish→ack ms  p50 \(f(l.p50))  p90 \(f(l.p90))  p99 \(f(l.p99))  p99.9 \(f(l.p999))  max \(f(l.max))   connect ms p50 \(f(r.latencyMs.connect.p50))  p99 \(f(r.latencyMs.connect.p99))")
        if let probe = r.probe, let e = r.latencyMs.endToEnd {
            lines.append("  probe     \(probe.topic): received \(probe.received)  end-to-end ms  p50 \(f(e.p50))  p99 \(f(e.p99))  max \(f(e.max))")
        }
        if let sp = r.shadowProbe, let c = r.latencyMs.shadowConvergence {
            lines.append(
                "  shadow    REST desired -> reported: \(sp.converged)/\(sp.sent) converged, \(sp.timedOut) timed out  ms  p50 \(f(c.p50))  p99 \(f(c.p99))  max \(f(c.max))")
        }
        if r.shadow.reportsSent > 0 || r.shadow.deltasReceived > 0 {
            lines.append("  shadow    reports sent \(r.shadow.reportsSent)  deltas received \(r.shadow.deltasReceived)")
        }
        if r.phases.count > 1 {
            lines.append("  phases")
            for p in r.phases {
                let pl = p.latencyMs["publishAck"] ?? LatencySummary()
                lines.append("    \(p.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(p.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(String(format: "%6gs", p.seconds))  sent \(p.sent)  acked \(p.acked)  failed \(p.failed)  \(String(format: "%.1f", p.ackedPerSecond)) acked/s  p50 \(f(pl.p50))  p99 \(f(pl.p99))")
            }
        }
        for e in r.errors { lines.append("  error     \(e)") }
        return lines.joined(separator: "\n")
    }

    private static func f(_ v: Double) -> String { String(format: "%.2f", v) }
}
