import IoTCore
import XCTest

final class TopicIndexTests: XCTestCase {
    func testMatchesWildcardsAndExactFilters() {
        var index = TopicIndex<String, String>()
        for f in ["a/b/c", "a/+/c", "a/#", "#", "+/b/+", "a/b", "$SYS/#", "+/+/+/+"] {
            index.insert(filter: f, id: f, value: f)
        }
        XCTAssertEqual(Set(index.match("a/b/c")), ["a/b/c", "a/+/c", "a/#", "#", "+/b/+"])
        XCTAssertEqual(Set(index.match("a")), ["a/#", "#"], "a/# matches its parent level")
        XCTAssertEqual(Set(index.match("a/b")), ["a/b", "a/#", "#"])
        XCTAssertEqual(Set(index.match("$SYS/broker/load")), ["$SYS/#"], "wildcard-first filters skip $ topics")
        XCTAssertEqual(Set(index.match("x/y/z/w")), ["#", "+/+/+/+"])
    }

    func testRemoveAndReplaceById() {
        var index = TopicIndex<Int, Int>()
        index.insert(filter: "d/+/t", id: 1, value: 10)
        index.insert(filter: "d/#", id: 2, value: 20)
        XCTAssertEqual(Set(index.match("d/x/t")), [10, 20])
        index.insert(filter: "e/+", id: 1, value: 11)
        XCTAssertEqual(index.match("d/x/t"), [20])
        XCTAssertEqual(index.match("e/q"), [11])
        XCTAssertTrue(index.remove(id: 2))
        XCTAssertFalse(index.remove(id: 2))
        XCTAssertEqual(index.match("d/x/t"), [])
        XCTAssertEqual(index.count, 1)
        XCTAssertEqual(index.filter(for: 1), "e/+")
    }

    func testEmptyLevelsAreLevels() {
        var index = TopicIndex<String, String>()
        index.insert(filter: "a//c", id: "1", value: "a//c")
        index.insert(filter: "a/+/c", id: "2", value: "a/+/c")
        index.insert(filter: "/+", id: "3", value: "/+")
        XCTAssertEqual(Set(index.match("a//c")), ["a//c", "a/+/c"])
        XCTAssertEqual(index.match("/x"), ["/+"])
    }

    func testTopicMatchesByLevels() {
        let cases: [(String, String, Bool)] = [
            ("a/b", "a/b", true), ("a/b", "a/bc", false), ("a/b", "a", false), ("a", "a/b", false),
            ("a/+", "a/b", true), ("a/+", "a/", true), ("a/+", "a", false), ("+", "", true), ("+/+", "/", true),
            ("a/#", "a", true), ("a/#", "a/b/c", true), ("#", "", true), ("a//c", "a//c", true), ("a/+/c", "a//c", true),
            ("#", "$SYS/x", false), ("+/x", "$SYS/x", false), ("$SYS/#", "$SYS/x", true), ("", "", true), ("", "a", false),
            ("é/+", "é/ü", true), ("é/x", "e/x", false),
        ]
        for (filter, topic, expected) in cases {
            XCTAssertEqual(Topic.matches(filter: filter, topic: topic), expected, "\(filter) vs \(topic)")
        }
    }

    /// Random filters and topics over a small alphabet, compared with `Topic.matches`.
    func testRandomizedAgainstTopicMatches() {
        var rng = SplitMix(seed: 0xC0FFEE)
        let words = ["a", "b", "c", "$x", ""]
        func level(_ wildcards: Bool) -> String {
            if wildcards {
                switch rng.next() % 6 {
                case 0: return "+"
                default: break
                }
            }
            return words[Int(rng.next() % UInt64(words.count))]
        }
        for _ in 0..<200 {
            var index = TopicIndex<Int, Int>()
            var filters: [Int: String] = [:]
            for id in 0..<30 {
                var parts = (0..<(1 + Int(rng.next() % 4))).map { _ in level(true) }
                if rng.next() % 4 == 0 { parts.append("#") }
                let f = parts.joined(separator: "/")
                guard Topic.isValidFilter(f) else { continue }
                index.insert(filter: f, id: id, value: id)
                filters[id] = f
            }
            for id in filters.keys where rng.next() % 5 == 0 {
                index.remove(id: id)
                filters[id] = nil
            }
            for _ in 0..<30 {
                let topic = (0..<(1 + Int(rng.next() % 4))).map { _ in level(false) }.joined(separator: "/")
                let expected = Set(filters.filter { Topic.matches(filter: $0.value, topic: topic) }.keys)
                XCTAssertEqual(Set(index.match(topic)), expected, "topic \(topic) filters \(filters)")
            }
        }
    }
}

/// A small seeded generator so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
