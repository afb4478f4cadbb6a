import Foundation
import IoTCore

/// `regexp_matches`, `regexp_replace`, `regexp_substr` over ICU regular expressions (close to
/// Java's syntax, which AWS uses). A backtracking pattern can take exponential time, so each
/// call has an input-size cap and a time budget; past either it is an evaluation error, which
/// goes to the rule's errorAction instead of stalling the gateway.
enum RegexFunctions {
    static let maxInputLength = 64 * 1024
    static let maxPatternLength = 4 * 1024
    static let timeBudget: TimeInterval = 0.05

    static let all: [String: FunctionSpec] = [
        "regexp_matches": FunctionSpec(2...2) { a, _, p throws(RuleEvaluationError) in
            guard let s = Convert.string(a[0]), let pattern = Convert.string(a[1]), let re = regex(pattern) else { return nil }
            return .bool(try firstMatch(re, in: s, at: p) != nil)
        },
        "regexp_substr": FunctionSpec(2...2) { a, _, p throws(RuleEvaluationError) in
            guard let s = Convert.string(a[0]), let pattern = Convert.string(a[1]), let re = regex(pattern) else { return nil }
            guard let m = try firstMatch(re, in: s, at: p), let r = Range(m.range, in: s) else { return .string("") }
            return .string(String(s[r]))
        },
        "regexp_replace": FunctionSpec(3...3) { a, _, p throws(RuleEvaluationError) in
            guard let s = Convert.string(a[0]), let pattern = Convert.string(a[1]), let template = Convert.string(a[2]),
                let re = regex(pattern)
            else { return nil }
            return .string(try replace(re, in: s, with: template, at: p))
        },
    ]

    private static let cache = RegexCache()

    /// The compiled pattern, or nil when it is not a valid regular expression (AWS: Undefined).
    static func regex(_ pattern: String) -> NSRegularExpression? {
        guard pattern.utf8.count <= maxPatternLength else { return nil }
        if let hit = cache.get(pattern) { return hit }
        guard let re = try? NSRegularExpression(pattern: pattern) else { return nil }
        cache.put(pattern, re)
        return re
    }

    static func checkInput(_ s: String, at p: SourcePosition) throws(RuleEvaluationError) {
        if s.utf8.count > maxInputLength {
            throw RuleEvaluationError(
                "The regular expression input is \(s.utf8.count) bytes; the limit is \(maxInputLength) bytes.", at: p)
        }
    }

    /// Runs the matcher with progress callbacks so a runaway pattern is stopped at the budget.
    static func matches(_ re: NSRegularExpression, in s: String, first: Bool, at p: SourcePosition) throws(RuleEvaluationError)
        -> [NSTextCheckingResult]
    {
        try checkInput(s, at: p)
        let deadline = Date().addingTimeInterval(timeBudget)
        var found: [NSTextCheckingResult] = []
        var timedOut = false
        re.enumerateMatches(in: s, options: [.reportProgress], range: NSRange(s.startIndex..., in: s)) { m, _, stop in
            if let m {
                found.append(m)
                if first { stop.pointee = true }
            }
            if Date() > deadline {
                timedOut = true
                stop.pointee = true
            }
        }
        if timedOut {
            throw RuleEvaluationError(
                "The regular expression '\(re.pattern)' took longer than \(Int(timeBudget * 1000)) ms and was stopped.", at: p)
        }
        return found
    }

    static func firstMatch(_ re: NSRegularExpression, in s: String, at p: SourcePosition) throws(RuleEvaluationError)
        -> NSTextCheckingResult?
    {
        try matches(re, in: s, first: true, at: p).first
    }

    static func replace(_ re: NSRegularExpression, in s: String, with template: String, at p: SourcePosition)
        throws(RuleEvaluationError) -> String
    {
        let found = try matches(re, in: s, first: false, at: p)
        let ns = s as NSString
        var out = ""
        var last = 0
        for m in found {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            out += re.replacementString(for: m, in: s, offset: 0, template: template)
            last = m.range.location + m.range.length
        }
        out += ns.substring(from: last)
        return out
    }
}

/// Compiled patterns by source text, so a rule does not recompile its pattern per message.
/// `@unchecked Sendable`: `lock` guards `entries`, the only mutable state
/// (Synchronization's Mutex would need macOS 15, above the package's platform).
final class RegexCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: NSRegularExpression] = [:]

    func get(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        return entries[pattern]
    }

    func put(_ pattern: String, _ re: NSRegularExpression) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= 512 { entries.removeAll(keepingCapacity: true) }
        entries[pattern] = re
    }
}
