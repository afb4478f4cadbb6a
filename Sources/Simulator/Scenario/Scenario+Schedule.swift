import Foundation

extension Scenario {
    /// When a device publishes next, in seconds after the phases begin, given its previous send at `t`;
    /// nil when it sends nothing more. `u` is a uniform draw in [0, 1) used to spread devices over
    /// their first interval in a new phase, so they do not publish in lockstep at phase boundaries.
    public func nextSend(after t: Double, base: Double, u: Double) -> Double? {
        var t = t
        var enteredNewPhase = false
        while let (index, start) = phase(at: t) {
            let p = phases[index]
            let end = start + p.seconds
            let local = t - start
            let a = p.rate(at: local, base: base)
            var dt: Double?
            switch p.kind {
            case .idle:
                dt = nil
            case .ramp:
                // Solve ∫ rate = 1 for the linear ramp a + b·x.
                let b = (p.rate(at: p.seconds, base: base) - p.rate(at: 0, base: base)) / max(p.seconds, 1e-9)
                if abs(b) < 1e-12 {
                    dt = a > 0 ? 1 / a : nil
                } else {
                    let disc = a * a + 2 * b
                    dt = disc >= 0 ? (-a + disc.squareRoot()) / b : nil
                    if let d = dt, d <= 0 { dt = nil }
                }
            case .steady, .spike:
                dt = a > 0 ? 1 / a : nil
            }
            if let d = dt {
                let next = t + (enteredNewPhase ? d * u : d)
                if next < end { return next }
            }
            t = end
            enteredNewPhase = true
        }
        return nil
    }
}
