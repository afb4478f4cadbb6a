import IoTCore
import Shadows
import XCTest

/// Seeded random update sequences checked against the properties issue 4 lists and against
/// a small independent model of the merge (plain recursive merge, nulls and empty objects dropped).
final class MergePropertyTests: XCTestCase {
    func testRandomUpdateSequences() throws {
        var rng = SplitMix64(seed: 0x5EED_0004)
        let key = try ShadowKey(thingName: "prop", shadowName: "s")
        for sequence in 0..<150 {
            var stored: StoredShadow?
            var modelDesired: JSONObject = [:]
            var modelReported: JSONObject = [:]
            var lastVersion: Int64 = 0
            for step in 0..<25 {
                let now = Int64(1000 + step)
                let (request, desiredPatch, reportedPatch) = randomRequest(&rng)
                let result = try accept(stored, request.serialized(), now: now)
                let context = "sequence \(sequence) step \(step): \(request)"

                // Version: strictly increasing by one per accepted update.
                XCTAssertEqual(result.stored.version, lastVersion + 1, context)
                lastVersion = result.stored.version

                // Sequential merge equals the model's merge of the same patches.
                if let p = desiredPatch { modelDesired = p.map { modelMerge(modelDesired, $0) } ?? [:] }
                if let p = reportedPatch { modelReported = p.map { modelMerge(modelReported, $0) } ?? [:] }
                XCTAssertEqual(canonical(.object(result.stored.desired ?? [:])), canonical(.object(modelDesired)), context)
                XCTAssertEqual(canonical(.object(result.stored.reported ?? [:])), canonical(.object(modelReported)), context)

                // Metadata has exactly the shape of the state.
                XCTAssertTrue(mirrors(.object(result.stored.desiredMetadata ?? [:]), .object(result.stored.desired ?? [:])), context)
                XCTAssertTrue(mirrors(.object(result.stored.reportedMetadata ?? [:]), .object(result.stored.reported ?? [:])), context)

                // Delta: every path is a desired path with the desired value, and differs from reported.
                if let deltaBytes = result.delta {
                    let delta = try XCTUnwrap(JSONValue.parse(deltaBytes)["state"])
                    XCTAssertTrue(isDelta(delta, desired: .object(modelDesired), reported: .object(modelReported)), context)
                    XCTAssertEqual(try JSONValue.parse(deltaBytes)["version"], .int(lastVersion), context)
                } else {
                    XCTAssertTrue(agrees(desired: .object(modelDesired), reported: .object(modelReported)), context)
                }

                // The stored bytes read back to the same shadow.
                XCTAssertEqual(try StoredShadow(decoding: result.stored.encoded), result.stored, context)
                stored = result.stored
            }

            // reported := desired leaves no delta.
            let sync = JSONValue.object(["state": .object(["reported": .object(stored?.desired ?? [:])])])
            let synced = try accept(stored, sync.serialized(), now: 5000)
            if stored?.desired != nil {
                XCTAssertNil(synced.delta, "sequence \(sequence)")
                let got = try JSONValue.parse(ShadowEngine.get(stored: synced.stored, key: key, now: 5001).get())
                XCTAssertNil(got["state"]?["delta"], "sequence \(sequence)")
            }

            // Delete, then the next update continues from the kept version.
            let deleted = try ShadowEngine.delete(stored: synced.stored, key: key, now: 5002).get()
            XCTAssertEqual(try JSONValue.parse(deleted.accepted)["version"], .int(synced.stored.version))
            let reborn = try accept(deleted.stored, #"{"state": {"reported": {"a": 1}}}"#, now: 5003)
            XCTAssertEqual(reborn.stored.version, synced.stored.version + 1)
            XCTAssertNil(try JSONValue.parse(reborn.documents)["previous"], "a re-created shadow has no previous")
            XCTAssertEqual(reborn.stored.desired, nil, "delete cleared the old state")
        }
    }

    // MARK: model

    /// Recursive merge on values, written independently of the engine.
    private func modelMerge(_ base: JSONObject, _ patch: JSONObject) -> JSONObject {
        var out = base
        for (k, v) in patch {
            switch v {
            case .null: out[k] = nil
            case .object(let p):
                let merged = modelMerge(out[k]?.objectValue ?? [:], p)
                out[k] = merged.isEmpty ? nil : .object(merged)
            default: out[k] = v
            }
        }
        return out
    }

    private func mirrors(_ meta: JSONValue, _ state: JSONValue) -> Bool {
        switch state {
        case .object(let s):
            guard case .object(let m) = meta, Set(m.keys) == Set(s.keys) else { return false }
            return s.allSatisfy { mirrors(m[$0.key]!, $0.value) }
        case .array(let a):
            guard case .array(let m) = meta, m.count == a.count else { return false }
            return zip(m, a).allSatisfy { mirrors($0, $1) }
        default:
            guard case .object(let m) = meta, m.count == 1, case .int? = m["timestamp"] else { return false }
            return true
        }
    }

    private func isDelta(_ delta: JSONValue, desired: JSONValue, reported: JSONValue?) -> Bool {
        guard case .object(let d) = delta, !d.isEmpty, case .object(let want) = desired else { return false }
        for (k, v) in d {
            guard let w = want[k] else { return false }
            let have = reported?[k]
            if case .object = v, case .object = w, case .object? = have {
                if !isDelta(v, desired: w, reported: have) { return false }
            } else if canonical(v) != canonical(w) || (have.map { same($0, w) } ?? false) {
                return false
            }
        }
        return true
    }

    private func agrees(desired: JSONValue, reported: JSONValue?) -> Bool {
        guard case .object(let want) = desired else { return true }
        for (k, w) in want {
            guard let have = reported?[k] else { return false }
            if case .object = w, case .object = have {
                if !agrees(desired: w, reported: have) { return false }
            } else if !same(w, have) {
                return false
            }
        }
        return true
    }

    /// Equality with numbers compared by value (`1` and `1.0` agree), members in any order.
    private func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        switch (a, b) {
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            return Set(x.keys) == Set(y.keys) && x.allSatisfy { same($0.value, y[$0.key]!) }
        default: return a == b
        }
    }

    // MARK: generator

    /// A request and, per section, nil (untouched), .some(nil) (section set to null) or the patch.
    private func randomRequest(_ rng: inout SplitMix64) -> (JSONValue, JSONObject??, JSONObject??) {
        var state = JSONObject()
        var desired: JSONObject?? = nil
        var reported: JSONObject?? = nil
        let which = rng.next(6)
        if which != 1 {
            if rng.next(20) == 0 {
                state["desired"] = .null
                desired = .some(nil)
            } else {
                let p = randomObject(&rng, depth: 0)
                state["desired"] = .object(p)
                desired = .some(p)
            }
        }
        if which != 0 {
            if rng.next(20) == 0 {
                state["reported"] = .null
                reported = .some(nil)
            } else {
                // Devices often copy desired values, so reuse them to exercise equal-value paths.
                let p = rng.next(3) == 0 ? (desiredCopy(state["desired"]) ?? randomObject(&rng, depth: 0))
                                         : randomObject(&rng, depth: 0)
                state["reported"] = .object(p)
                reported = .some(p)
            }
        }
        return (.object(["state": .object(state)]), desired, reported)
    }

    private func desiredCopy(_ v: JSONValue?) -> JSONObject? { v?.objectValue }

    private func randomObject(_ rng: inout SplitMix64, depth: Int) -> JSONObject {
        var o = JSONObject()
        for _ in 0..<(1 + rng.next(3)) {
            let key = ["a", "b", "c", "d"][rng.next(4)]
            o[key] = randomValue(&rng, depth: depth + 1, allowNull: true)
        }
        return o
    }

    private func randomValue(_ rng: inout SplitMix64, depth: Int, allowNull: Bool) -> JSONValue {
        switch rng.next(depth < 3 ? 9 : 7) {
        case 0: return allowNull ? .null : .bool(true)
        case 1: return .int(Int64(rng.next(3)))
        case 2: return .double([1.0, 2.5, 0.5][rng.next(3)])
        case 3: return .string(["x", "y"][rng.next(2)])
        case 4: return .bool(rng.next(2) == 0)
        case 5: return .array((0..<rng.next(3)).map { _ in .int(Int64(rng.next(2))) })
        case 6: return .int(1)
        default: return .object(randomObject(&rng, depth: depth))
        }
    }
}

/// Deterministic PRNG so a failing sequence reproduces.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(_ bound: Int) -> Int { Int(nextUInt64() % UInt64(bound)) }
}
