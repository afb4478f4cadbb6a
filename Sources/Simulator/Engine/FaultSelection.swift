/// Which devices a fault hits: a fixed draw per (seed, fault, device), so the same devices are hit
/// in every run with the same seed, however the devices are spread over workers.
enum FaultSelection {
    static func hits(_ fault: Fault, index: Int, seed: UInt64, ordinal: Int) -> Bool {
        var r = SeededRandom(seed: seed ^ 0xFA01_7000_0000_0000, stream: UInt64(ordinal) &* 1_000_003 &+ UInt64(index))
        return r.unit() < fault.fraction
    }
}
