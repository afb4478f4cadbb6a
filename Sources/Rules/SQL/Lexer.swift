/// Splits rule SQL into tokens, tracking line and column.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// All tokens, ending with `.end`.
    static func tokenize(_ text: String) throws(RuleSQLError) -> [Token] {
        var lexer = Lexer(text)
        var out: [Token] = []
        while true {
            let t = try lexer.next()
            out.append(t)
            if t.kind == .end { return out }
        }
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ k: Int = 0) -> Unicode.Scalar? {
        i + k < scalars.count ? scalars[i + k] : nil
    }

    private mutating func advance() {
        if scalars[i] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        i += 1
    }

    private static let pairs: Set<String> = ["<>", "!=", "<=", ">="]
    private static let singles: Set<Unicode.Scalar> = [
        "(", ")", "[", "]", "{", "}", ",", ".", "*", "+", "-", "/", "%", "=", "<", ">", ":",
    ]

    private static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    mutating func next() throws(RuleSQLError) -> Token {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { advance() }
        let start = position
        guard let c = peek() else { return Token(kind: .end, position: start) }

        if Lexer.isIdentStart(c) {
            var word = String.UnicodeScalarView()
            while let d = peek(), Lexer.isIdentStart(d) || Lexer.isDigit(d) {
                word.append(d)
                advance()
            }
            return Token(kind: .word(String(word)), position: start)
        }
        if c == "`" {
            advance()
            var word = String.UnicodeScalarView()
            while let d = peek(), d != "`" {
                word.append(d)
                advance()
            }
            guard peek() == "`" else {
                throw RuleSQLError("The quoted name that starts here is missing its closing backtick (`).", at: start)
            }
            advance()
            if word.isEmpty { throw RuleSQLError("A quoted name must not be empty.", at: start) }
            return Token(kind: .word(String(word)), position: start)
        }
        if Lexer.isDigit(c) { return try number(start) }
        if c == "'" || c == "\"" { return try string(quote: c, start) }

        if let d = peek(1) {
            let pair = String(Character(c)) + String(Character(d))
            if Lexer.pairs.contains(pair) {
                advance()
                advance()
                return Token(kind: .symbol(pair), position: start)
            }
        }
        if Lexer.singles.contains(c) {
            advance()
            return Token(kind: .symbol(String(Character(c))), position: start)
        }
        throw RuleSQLError("The character '\(Character(c))' is not allowed here.", at: start)
    }

    private mutating func number(_ start: SourcePosition) throws(RuleSQLError) -> Token {
        var text = ""
        var integral = true
        while let d = peek(), Lexer.isDigit(d) {
            text.unicodeScalars.append(d)
            advance()
        }
        if peek() == ".", let d = peek(1), Lexer.isDigit(d) {
            integral = false
            text += "."
            advance()
            while let d = peek(), Lexer.isDigit(d) {
                text.unicodeScalars.append(d)
                advance()
            }
        }
        if let e = peek(), e == "e" || e == "E" {
            var k = 1
            if let s = peek(1), s == "+" || s == "-" { k = 2 }
            if let d = peek(k), Lexer.isDigit(d) {
                integral = false
                for _ in 0..<k {
                    text.unicodeScalars.append(peek()!)
                    advance()
                }
                while let d = peek(), Lexer.isDigit(d) {
                    text.unicodeScalars.append(d)
                    advance()
                }
            }
        }
        if let d = peek(), Lexer.isIdentStart(d) {
            throw RuleSQLError("A number must not run into a name ('\(text)\(Character(d))'); put a space or an operator between them.", at: start)
        }
        if integral, let v = Int64(text) { return Token(kind: .int(v), position: start) }
        guard let d = Double(text), d.isFinite else {
            throw RuleSQLError("The number \(text) is too large.", at: start)
        }
        return Token(kind: .decimal(d), position: start)
    }

    /// Strings take `'…'` or `"…"`; a doubled quote or a backslash escapes the quote.
    /// Unknown backslash sequences stay as written so regular expressions like '\d+' work.
    private mutating func string(quote: Unicode.Scalar, _ start: SourcePosition) throws(RuleSQLError) -> Token {
        advance()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw RuleSQLError("The string that starts here is missing its closing quote (\(Character(quote))).", at: start)
            }
            if c == quote {
                if peek(1) == quote {
                    out.append(quote)
                    advance()
                    advance()
                    continue
                }
                advance()
                return Token(kind: .string(String(out)), position: start)
            }
            if c == "\\", let e = peek(1) {
                switch e {
                case "'", "\"", "\\":
                    out.append(e)
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                default:
                    out.append(c)
                    out.append(e)
                }
                advance()
                advance()
                continue
            }
            out.append(c)
            advance()
        }
    }
}
