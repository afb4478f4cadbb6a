/// One problem found in a rule file, placed at a line and column for `file:line:col:` output.
public struct RuleDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error, warning
    }

    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    /// A full sentence.
    public var message: String
    /// The file's text at `line`, for printing under the message with a caret.
    public var sourceLine: String?
    /// The rule the problem belongs to, when its name could be read.
    public var ruleName: String?

    public init(
        file: String, line: Int, column: Int, severity: Severity = .error, message: String, sourceLine: String? = nil,
        ruleName: String? = nil
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.sourceLine = sourceLine
        self.ruleName = ruleName
    }

    /// `file:line:col: error: message`, then the source line and a caret under the column.
    public func formatted() -> String {
        var out = "\(file):\(line):\(column): \(severity.rawValue): \(message)"
        if let sourceLine {
            out += "\n" + sourceLine + "\n"
            var caret = ""
            for (k, ch) in sourceLine.enumerated() where k < column - 1 { caret.append(ch == "\t" ? "\t" : " ") }
            out += caret + "^"
        }
        return out
    }

    public var description: String { formatted() }
}

extension Array where Element == RuleDiagnostic {
    /// All diagnostics formatted, one block per problem.
    public func formatted() -> String { map { $0.formatted() }.joined(separator: "\n") }

    public var hasErrors: Bool { contains { $0.severity == .error } }
}
