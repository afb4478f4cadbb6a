/// MQTT topic names and filters (`+` one level, `#` the rest), as MQTT 3.1.1 §4.7 defines them.
public enum Topic {
    /// True when `topic` matches `filter`. Topics starting with `$` are not matched by
    /// filters starting with a wildcard, as the MQTT spec and mosquitto require.
    public static func matches(filter: String, topic: String) -> Bool {
        // Runs for every message the gateway routes: compare levels in place, no split.
        var filter = filter
        var topic = topic
        return filter.withUTF8 { f in topic.withUTF8 { t in matches(filter: f, topic: t) } }
    }

    private static func matches(filter f: UnsafeBufferPointer<UInt8>, topic t: UnsafeBufferPointer<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/")
        if t.first == UInt8(ascii: "$"), f.first == UInt8(ascii: "+") || f.first == UInt8(ascii: "#") { return false }
        // Levels are the ranges between slashes; empty levels count (`a//b`, `a/`).
        var fi = 0
        var ti = 0
        var filterDone = false
        var topicDone = false
        while !filterDone {
            let fStart = fi
            while fi < f.count && f[fi] != slash { fi += 1 }
            let fLevel = UnsafeBufferPointer(rebasing: f[fStart..<fi])
            if fi == f.count { filterDone = true } else { fi += 1 }
            if fLevel.count == 1 && fLevel[0] == UInt8(ascii: "#") { return true }
            if topicDone { return false }
            let tStart = ti
            while ti < t.count && t[ti] != slash { ti += 1 }
            let tLevel = UnsafeBufferPointer(rebasing: t[tStart..<ti])
            if ti == t.count { topicDone = true } else { ti += 1 }
            if fLevel.count == 1 && fLevel[0] == UInt8(ascii: "+") { continue }
            if !fLevel.elementsEqual(tLevel) { return false }
        }
        return topicDone
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
