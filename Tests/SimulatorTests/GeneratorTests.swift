import Devices
import Foundation
import IoTCore
import Simulator
import Testing

/// Generators must produce the configured distributions, and the same values again for the same seed.
@Suite struct GeneratorTests {
    func draw(_ kind: GeneratorSpec.Kind, decimals: Int = 15, n: Int = 20_000, seed: UInt64 = 7, dt: Double = 0.01) -> [Double] {
        var g = FieldGenerator(GeneratorSpec(kind, decimals: decimals))
        var r = SeededRandom(seed: seed)
        return (0..<n).map { i in g.next(elapsed: Double(i) * dt, nowMillis: 1_000 + Int64(i), random: &r).doubleValue ?? .nan }
    }

    func meanAndStd(_ xs: [Double]) -> (Double, Double) {
        let m = xs.reduce(0, +) / Double(xs.count)
        return (m, (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count)).squareRoot())
    }

    @Test func uniformStaysInRangeWithFlatMoments() {
        let xs = draw(.uniform(min: 10, max: 20))
        #expect(xs.allSatisfy { (10...20).contains($0) })
        let (m, s) = meanAndStd(xs)
        #expect(abs(m - 15) < 0.1)
        #expect(abs(s - 10 / 12.0.squareRoot()) < 0.05)
    }

    @Test func gaussianHasItsMeanAndStddevAndHonoursClamps() {
        let (m, s) = meanAndStd(draw(.gaussian(mean: 60, stddev: 3, min: nil, max: nil)))
        #expect(abs(m - 60) < 0.1)
        #expect(abs(s - 3) < 0.1)
        let clamped = draw(.gaussian(mean: 0, stddev: 1, min: -0.5, max: 0.5))
        #expect(clamped.allSatisfy { (-0.5...0.5).contains($0) })
        #expect(clamped.filter { $0 == 0.5 }.count > 5000)
    }

    @Test func sineFollowsPeriodAndPhase() {
        var g = FieldGenerator(GeneratorSpec(.sine(amplitude: 2, offset: 10, period: .seconds(4), phase: 0.25), decimals: 6))
        var r = SeededRandom(seed: 1)
        #expect(g.next(elapsed: 0, nowMillis: 0, random: &r).doubleValue == 12)
        #expect(g.next(elapsed: 1, nowMillis: 0, random: &r).doubleValue == 10)
        #expect(g.next(elapsed: 2, nowMillis: 0, random: &r).doubleValue == 8)
        #expect(g.next(elapsed: 4, nowMillis: 0, random: &r).doubleValue == 12)
    }

    @Test func randomWalkMovesByAtMostItsStepWithinBounds() {
        let xs = draw(.randomWalk(start: 1, step: 0.1, min: 0, max: 2))
        #expect(xs[0] == 1)
        #expect(xs.allSatisfy { (0...2).contains($0) })
        #expect(zip(xs, xs.dropFirst()).allSatisfy { abs($1 - $0) <= 0.1 + 1e-9 })
        #expect(Set(xs).count > 1000)
    }

    @Test func squareSpendsItsDutyHigh() {
        let xs = draw(.square(low: 0, high: 1, period: .seconds(2), duty: 0.25), n: 2000, dt: 0.01)
        #expect(xs.filter { $0 == 1 }.count == 500)
        #expect(Set(xs) == [0, 1])
    }

    @Test func counterCountsUpInIntegers() {
        var g = FieldGenerator(GeneratorSpec(.counter(start: 10, increment: 5)))
        var r = SeededRandom(seed: 1)
        let values = (0..<3).map { _ in g.next(elapsed: 0, nowMillis: 0, random: &r) }
        #expect(values == [.integer(10), .integer(15), .integer(20)])
    }

    @Test func choiceFollowsWeights() {
        var g = FieldGenerator(GeneratorSpec(.choice(values: ["a", "b"], weights: [9, 1])))
        var r = SeededRandom(seed: 3)
        let picks = (0..<20_000).map { _ in g.next(elapsed: 0, nowMillis: 0, random: &r) }
        let a = picks.filter { $0 == .json("a") }.count
        #expect(abs(Double(a) / 20_000 - 0.9) < 0.01)
    }

    @Test func timestampIsTheDeviceClock() {
        var g = FieldGenerator(GeneratorSpec(.timestamp))
        var r = SeededRandom(seed: 1)
        #expect(g.next(elapsed: 0, nowMillis: 1_700_000_000_123, random: &r) == .integer(1_700_000_000_123))
    }

    @Test func sameSeedSameValuesOtherSeedOtherValues() {
        let a = draw(.gaussian(mean: 0, stddev: 1, min: nil, max: nil), n: 100, seed: 42)
        let b = draw(.gaussian(mean: 0, stddev: 1, min: nil, max: nil), n: 100, seed: 42)
        let c = draw(.gaussian(mean: 0, stddev: 1, min: nil, max: nil), n: 100, seed: 43)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func payloadCarriesSeqTsAndNestedFields() throws {
        let catalog = try DeviceCatalog.parse(yaml: """
            deviceTypes:
              - name: m
                telemetry:
                  temp: { generator: constant, value: 21.5 }
                  motor.rpm: { generator: counter, start: 100 }
                  motor.state: { generator: choice, values: ["on \\"x\\""] }
                  level: { generator: uniform, min: 1, max: 1, decimals: 2 }
            """, file: "m.yaml")
        var g = TelemetryGenerator(type: catalog.deviceTypes["m"]!, random: SeededRandom(seed: 1))
        var out: [UInt8] = []
        g.payload(seq: 7, nowMillis: 1234, elapsed: 0, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"seq":7,"ts":1234,"temp":21.5,"motor":{"rpm":100,"state":"on \"x\""},"level":1}"#)
        #expect(try JSONValue.parse(out)["motor"]?["rpm"] == .int(100))
    }
}
