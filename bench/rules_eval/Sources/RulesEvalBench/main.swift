import Foundation
import IoTCore
import Rules

/// Evaluations per second of the issue's reference rule on one core (thread CPU time), with and
/// without JSON parsing, and the topic index's matching time with 10,000 filters relative to 10.
/// An argument `eval`, `parse` or `index` runs only that part (for profiling).

/// On-CPU time of this thread, so other processes on a shared machine do not count.
func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = cpuNow()
    try body()
    return cpuNow() - start
}

func best(of runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var t = Double.infinity
    for _ in 0..<runs { t = min(t, try seconds(body)) }
    return t
}

let sql = "SELECT temp, topic(2) AS id FROM 'd/+/t' WHERE temp > 50 AND hum < 30"
let rule = try CompiledRule(sql: sql)
let payloadText = #"{"temp":61.5,"hum":22,"pressure":1013.25,"battery":87,"status":"ok","firmware":"1.4.2","location":{"lat":47.6062,"lon":-122.3321},"readings":[1,2,3,4,5],"uptime":123456,"serial":"SN-000123"}"#
let payloadBytes = Array(payloadText.utf8)
let parsed = try JSONValue.parse(payloadBytes)
let message = RuleMessage(topic: "d/device-42/t", payload: parsed, rawPayload: payloadBytes, timestamp: 0)
guard case .fired = try rule.evaluate(message) else { fatalError("the reference rule must fire") }

let only = CommandLine.arguments.dropFirst().first
let n = only == "index" || only == "parse" ? 0 : 2_000_000
var fired = 0
let parsedTime = try best(of: 3) {
    for _ in 0..<n {
        if case .fired = try rule.evaluate(message) { fired += 1 }
    }
}
let m = only == "index" || only == "eval" ? 0 : 500_000
let mWithEval = only == "parse" ? 0 : m
let withParseTime = try best(of: 3) {
    for _ in 0..<mWithEval {
        let msg = RuleMessage(topic: "d/device-42/t", bytes: payloadBytes, timestamp: 0)
        if case .fired = try rule.evaluate(msg) { fired += 1 }
    }
}
var members = 0
let parseOnlyTime = try best(of: 3) {
    for _ in 0..<m {
        if case .object(let o) = try JSONValue.parse(payloadBytes) { members += o.count }
    }
}
print("sql: \(sql)")
print("payload: \(payloadBytes.count) bytes")
print(String(format: "evaluations/s, parsed payload:     %12.0f", Double(n) / parsedTime))
print(String(format: "evaluations/s, including parse:    %12.0f", Double(m) / withParseTime))
print(String(format: "JSON parses/s alone (for reference): %10.0f", Double(m) / parseOnlyTime))

func indexTime(filters: Int) -> Double {
    var index = TopicIndex<Int, Int>()
    for i in 0..<filters {
        let filter: String
        switch i % 3 {
        case 0: filter = "site/\(i)/+/telemetry"
        case 1: filter = "site/\(i)/sensor/#"
        default: filter = "site/\(i)/pump/status"
        }
        index.insert(filter: filter, id: i, value: i)
    }
    let topics = (0..<1000).map { k in "site/\(k % 10)/" + (k % 2 == 0 ? "sensor/telemetry" : "pump/status") }
    var matched = 0
    let t = best(of: 5) {
        for _ in 0..<200 {
            for topic in topics { matched += index.match(topic).count }
        }
    }
    precondition(matched > 0)
    return t / Double(200 * topics.count)
}
let small = only == "eval" || only == "parse" ? 1 : indexTime(filters: 10)
let large = only == "eval" || only == "parse" ? 1 : indexTime(filters: 10_000)
print(String(format: "topic index, ns/message, 10 filters:     %8.1f", small * 1e9))
print(String(format: "topic index, ns/message, 10,000 filters: %8.1f", large * 1e9))
print(String(format: "topic index ratio (10,000 / 10): %.2f (target <= 3)", large / small))
print("(fired \(fired), members \(members))")
