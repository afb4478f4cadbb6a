#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted once per second.
final class HTTPDateCache: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    var now: String {
        let second = time(nil)
        return cached.withLock { c in
            if c.second == second { return c.text }
            let text = Self.format(second)
            c = (second, text)
            return text
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `secondsSince1970`.
    static func format(_ secondsSince1970: Int) -> String {
        var t = time_t(secondsSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
