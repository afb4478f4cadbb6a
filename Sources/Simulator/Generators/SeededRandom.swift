import Foundation

/// xoshiro256** seeded through SplitMix64: fast, small, and identical on every platform, so a
/// `--seed` reproduces a run whichever worker process simulates which device.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// The stream of one device (or other numbered part) of a run with `seed`.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93) ^ 0x5851_F42D_4C95_7F2D)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal (mean 0, standard deviation 1), by Box–Muller.
    public mutating func gaussian() -> Double {
        var u = unit()
        while u == 0 { u = unit() }
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }
}
