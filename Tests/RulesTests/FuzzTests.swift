import Foundation
import IoTCore
import XCTest

@testable import Rules

/// Seeded random and mutated SQL over random payloads: every input either compiles or gives a
/// RuleSQLError, every evaluation returns or throws RuleEvaluationError; nothing crashes or hangs.
final class FuzzTests: XCTestCase {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
    }

    static let seeds = [
        "SELECT temp, topic(2) AS id FROM 'd/+/t' WHERE temp > 50 AND hum < 30",
        "SELECT *, upper(color) AS c, (SELECT VALUE n FROM e WHERE v > 1) AS names FROM 'a/#'",
        "SELECT CASE color WHEN 'red' THEN 1 ELSE [1, {'a': b.c[0]}] END AS x FROM '#' WHERE NOT isUndefined(color) OR 1 <> 2",
        "SELECT VALUE concat(a, b, [1, 2], substring(s, 1, 3)) FROM 'x/+'",
        "SELECT regexp_replace(s, 'a+', 'b'), md5(s), cast(n AS Int), get_or_default(q, 'd') FROM 'x'",
        "SELECT encode(*, 'base64') AS e, decode(s, 'base64') AS d, trunc(n, 2) AS t, n % 3 AS m FROM 'y'",
    ]

    static let fragments = [
        "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE", "END", "VALUE", "(", ")", "[",
        "]", "{", "}", ",", ".", "*", "+", "-", "/", "%", "=", "<>", "<", ">=", "'", "\"", "'a/+'", "'#'", "1", "2.5",
        "1e308", "-9223372036854775808", "null", "true", "a", "b.c", "e", "s", "topic(", "abs(", "concat(", "get(",
        "regexp_matches(", "cast(", "(SELECT", "\n", "`", "😀", "\\",
    ]

    func randomJSON(_ g: inout Generator, depth: Int) -> JSONValue {
        switch g.int(depth > 6 ? 5 : 8) {
        case 0: return .null
        case 1: return .bool(g.int(2) == 0)
        case 2: return .int(Int64(bitPattern: g.next()))
        case 3: return .double(g.pick([0.5, -1e308, 1e-300, 3.14, .greatestFiniteMagnitude]))
        case 4: return .string(String(repeating: g.pick(["a", "é", "😀", "1", " "]), count: g.int(2) == 0 ? g.int(5) : g.int(5000)))
        case 5, 6:
            return .array((0..<g.int(5)).map { _ in randomJSON(&g, depth: depth + 1) })
        default:
            var o = JSONObject()
            for _ in 0..<g.int(6) { o[g.pick(["a", "b", "c", "e", "n", "s", "temp", "hum", "color", "q"])] = randomJSON(&g, depth: depth + 1) }
            return .object(o)
        }
    }

    func mutate(_ sql: String, _ g: inout Generator) -> String {
        var tokens = sql.split(separator: " ").map(String.init)
        for _ in 0..<(1 + g.int(3)) {
            switch g.int(4) {
            case 0 where !tokens.isEmpty: tokens.remove(at: g.int(tokens.count))
            case 1: tokens.insert(g.pick(Self.fragments), at: g.int(tokens.count + 1))
            case 2 where !tokens.isEmpty: tokens[g.int(tokens.count)] = g.pick(Self.fragments)
            default:
                var chars = Array(tokens.joined(separator: " "))
                if !chars.isEmpty { chars.remove(at: g.int(chars.count)) }
                tokens = String(chars).split(separator: " ").map(String.init)
            }
        }
        return tokens.joined(separator: " ")
    }

    func testRandomAndMutatedStatements() {
        var g = Generator(state: 20_261_127)
        let deadline = Date().addingTimeInterval(20)
        var compiled = 0
        var payloads: [RuleMessage] = (0..<20).map { _ in
            let v = randomJSON(&g, depth: 0)
            return RuleMessage(topic: g.pick(["d/x/t", "a/b", "x", "$aws/things/t/shadow/update", "y/z"]), payload: v, rawPayload: v.serializedBytes())
        }
        payloads.append(RuleMessage(topic: "x/bin", bytes: [0xFF, 0x00, 0xC3]))
        for iteration in 0..<20000 {
            if Date() > deadline { break }
            let sql: String
            if iteration % 3 == 0 {
                sql = (0..<g.int(25)).map { _ in g.pick(Self.fragments) }.joined(separator: " ")
            } else {
                sql = mutate(g.pick(Self.seeds), &g)
            }
            guard let rule = try? CompiledRule(sql: sql) else { continue }
            compiled += 1
            for m in payloads.prefix(6) {
                _ = try? rule.evaluateMatched(m)
            }
        }
        XCTAssertGreaterThan(compiled, 200, "the mutations should still produce many valid statements")
    }

    /// Nested queries over a wide array would take n^k steps; the visit budget stops them.
    func testNestedQueryBlowUpIsStopped() throws {
        var level = JSONValue.array((0..<100).map { .int(Int64($0)) })
        for _ in 0..<3 { level = .array(Array(repeating: ["e": level], count: 100)) }
        let m = RuleMessage(topic: "t", payload: ["e": level])
        let rule = try CompiledRule(sql: "SELECT (SELECT (SELECT (SELECT (SELECT VALUE 1 FROM e) FROM e) FROM e) FROM e) AS x FROM 't'")
        let start = Date()
        XCTAssertThrowsError(try rule.evaluate(m)) { error in
            XCTAssertTrue((error as? RuleEvaluationError)?.message.contains("nested queries") == true, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testHostilePayloadsOnFixedRules() throws {
        var g = Generator(state: 7)
        let rules = try Self.seeds.map { try CompiledRule(sql: $0) }
        var deep: JSONValue = .int(1)
        for _ in 0..<400 { deep = .array([deep]) }
        var messages = [RuleMessage(topic: "d/x/t", payload: deep), RuleMessage(topic: "a/b", payload: ["s": .string(String(repeating: "a", count: 100_000))])]
        for _ in 0..<200 { messages.append(RuleMessage(topic: "d/x/t", payload: randomJSON(&g, depth: 0))) }
        for rule in rules {
            for m in messages { _ = try? rule.evaluateMatched(m) }
        }
    }
}
