/// A topic filter split once, matched against topics byte by byte without allocating.
struct TopicFilterMatcher: Sendable {
    enum Level: Sendable {
        case exact([UInt8])
        case single
        case multi
    }

    let levels: [Level]
    let startsWithWildcard: Bool

    init(_ filter: String) {
        levels = filter.split(separator: "/", omittingEmptySubsequences: false).map { part in
            switch part {
            case "+": return .single
            case "#": return .multi
            default: return .exact(Array(part.utf8))
            }
        }
        startsWithWildcard = filter.hasPrefix("+") || filter.hasPrefix("#")
    }

    func matches(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { buf in
            if startsWithWildcard, buf.first == UInt8(ascii: "$") { return false }
            var pos = 0
            for level in levels {
                if case .multi = level { return true }
                guard pos <= buf.count else { return false }
                var end = pos
                while end < buf.count, buf[end] != UInt8(ascii: "/") { end += 1 }
                if case .exact(let bytes) = level {
                    guard bytes.count == end - pos else { return false }
                    for k in 0..<bytes.count where bytes[k] != buf[pos + k] { return false }
                }
                pos = end + 1
            }
            return pos == buf.count + 1
        }
    }
}
