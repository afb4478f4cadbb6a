/// MQTT topic names and filters (`+` one level, `#` the rest), as MQTT 3.1.1 §4.7 defines them.
public enum Topic {
    /// True when `topic` matches `filter`. Topics starting with `$` are not matched by
    /// filters starting with a wildcard, as the MQTT spec and mosquitto require.
    public static func matches(filter: String, topic: String) -> Bool {
        if topic.utf8.first == UInt8(ascii: "$") {
            let ff = filter.utf8.first
            if ff == UInt8(ascii: "+") || ff == UInt8(ascii: "#") { return false }
        }
        let f = levels(filter)
        let t = levels(topic)
        var k = 0
        while k < f.count {
            if f[k] == "#" { return true }
            guard k < t.count else { return false }
            if f[k] != "+" && f[k] != t[k] { return false }
            k += 1
        }
        return k == t.count
    }

    /// The topic's levels (`a/b/c` → `["a", "b", "c"]`; empty levels kept).
    public static func levels(_ topic: String) -> [Substring] {
        topic.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// Checks a filter's syntax: `#` only last and alone in its level, `+` alone in its level.
    public static func isValidFilter(_ filter: String) -> Bool {
        if filter.isEmpty || filter.utf8.count > 65535 { return false }
        let parts = levels(filter)
        for (n, p) in parts.enumerated() {
            if p.contains("#") && (p != "#" || n != parts.count - 1) { return false }
            if p.contains("+") && p != "+" { return false }
        }
        return true
    }

    /// Checks a topic name for publishing: non-empty, no wildcards, no NUL.
    public static func isValidName(_ topic: String) -> Bool {
        // On the publish path of every rule action: scan the contiguous bytes, not the UTF8View.
        var topic = topic
        return topic.withUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= 65535 else { return false }
            for c in bytes where c == UInt8(ascii: "+") || c == UInt8(ascii: "#") || c == 0 { return false }
            return true
        }
    }
}
