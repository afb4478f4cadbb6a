import IoTCore

/// Functions about the message rather than its payload.
enum ContextFunctions {
    static let sqlVersion = "2016-03-23"

    static let all: [String: FunctionSpec] = [
        "topic": FunctionSpec(0...1) { a, s, _ in
            if a.isEmpty { return .string(s.message.topic) }
            guard let n = Convert.flooredInt(a[0]) else { return nil }
            return segment(s.message.topic, n).map { .string($0) }
        },
        "clientid": FunctionSpec(0...0) { _, s, _ in .string(s.message.clientId ?? "n/a") },
        "principal": FunctionSpec(0...0) { _, s, _ in s.message.principal.map { .string($0) } },
        "traceid": FunctionSpec(0...0) { _, s, _ in s.message.traceId.map { .string($0) } },
        "newuuid": FunctionSpec(0...0) { _, s, _ in .string(s.environment.newUUID()) },
        "sql_version": FunctionSpec(0...0) { _, _, _ in .string(sqlVersion) },
        "timestamp": FunctionSpec(0...0) { _, s, _ in .int(s.message.timestamp) },
    ]

    /// Level `n` (1-based) of a topic, found by scanning bytes instead of splitting the topic.
    @inline(__always)
    static func segment(_ topic: String, _ n: Int64) -> String? {
        guard n >= 1 else { return nil }
        var topic = topic
        return topic.withUTF8 { buf in
            var level: Int64 = 1
            var start = 0
            for i in 0..<buf.count where buf[i] == UInt8(ascii: "/") {
                if level == n { return String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self) }
                level += 1
                start = i + 1
            }
            guard level == n else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[start...]), as: UTF8.self)
        }
    }
}
