import IoTCore

/// An action parameter with `${expression}` parts, parsed once and rendered per message
/// against the original message (not the SELECT output, as AWS documents).
public struct SubstitutionTemplate: Sendable {
    enum Part: Sendable {
        case text(String)
        case expression(Evaluator)
    }

    public let source: String
    let parts: [Part]

    /// Parses `text`; an error's position is within `text` (line 1 is its first line).
    public init(_ text: String) throws(RuleSQLError) {
        source = text
        var parts: [Part] = []
        let scalars = Array(text.unicodeScalars)
        var literal = String.UnicodeScalarView()
        var i = 0
        var line = 1
        var column = 1
        func step(_ c: Unicode.Scalar) {
            if c == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        while i < scalars.count {
            let c = scalars[i]
            guard c == "$", i + 1 < scalars.count, scalars[i + 1] == "{" else {
                literal.append(c)
                step(c)
                i += 1
                continue
            }
            let open = SourcePosition(line: line, column: column)
            step("$")
            step("{")
            i += 2
            let start = SourcePosition(line: line, column: column)
            var depth = 0
            var quote: Unicode.Scalar?
            var inner = String.UnicodeScalarView()
            var closed = false
            while i < scalars.count {
                let d = scalars[i]
                if let q = quote {
                    if d == q { quote = nil }
                } else if d == "'" || d == "\"" {
                    quote = d
                } else if d == "{" {
                    depth += 1
                } else if d == "}" {
                    if depth == 0 {
                        closed = true
                        step(d)
                        i += 1
                        break
                    }
                    depth -= 1
                }
                inner.append(d)
                step(d)
                i += 1
            }
            guard closed else {
                throw RuleSQLError("The substitution '${' here has no closing '}'.", at: open)
            }
            let expressionText = String(inner)
            if expressionText.allSatisfy({ $0 == " " }) {
                throw RuleSQLError("The substitution '${}' here is empty; put an expression inside, such as ${topic(2)}.", at: open)
            }
            if !literal.isEmpty {
                parts.append(.text(String(literal)))
                literal = String.UnicodeScalarView()
            }
            do {
                let e = try Parser.parseExpression(expressionText)
                parts.append(.expression(try Compiler.compile(e)))
            } catch {
                var moved = error
                if error.position.line == 1 {
                    moved.position = SourcePosition(line: start.line, column: start.column + error.position.column - 1)
                } else {
                    moved.position = SourcePosition(line: start.line + error.position.line - 1, column: error.position.column)
                }
                moved.message = "In the substitution ${\(expressionText)}: \(error.message)"
                throw moved
            }
        }
        if !literal.isEmpty { parts.append(.text(String(literal))) }
        self.parts = parts
    }

    /// True when the template has no `${…}` part.
    public var isConstant: Bool {
        parts.allSatisfy { if case .text = $0 { return true } else { return false } }
    }

    /// The text with each `${…}` replaced by its value's string form (Undefined and Null give "").
    public func render(_ message: RuleMessage, environment: RuleEnvironment = .standalone) throws(RuleEvaluationError)
        -> String
    {
        try Scope.run(message, environment) { (scope) throws(RuleEvaluationError) -> String in
            var out = ""
            for part in parts {
                switch part {
                case .text(let t): out += t
                case .expression(let f): out += Convert.string(try f(scope)) ?? ""
                }
            }
            return out
        }
    }
}
