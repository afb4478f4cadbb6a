/// One lexical unit of rule SQL.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case word(String)
        case int(Int64)
        case decimal(Double)
        case string(String)
        case symbol(String)
        case end
    }

    var kind: Kind
    var position: SourcePosition

    /// The keyword or identifier text, upper-cased, when this is a word.
    var upperWord: String? {
        if case .word(let w) = kind { return w.uppercased() }
        return nil
    }

    func isKeyword(_ k: String) -> Bool { upperWord == k }

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .word(let w): return "'\(w)'"
        case .int(let i): return "'\(i)'"
        case .decimal(let d): return "'\(d)'"
        case .string(let s): return "the string '\(s.count > 30 ? String(s.prefix(30)) + "…" : s)'"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the statement"
        }
    }
}
