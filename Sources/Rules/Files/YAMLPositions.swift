import Yams

/// Maps a position inside a YAML scalar's value back to the file, so an error in a rule's
/// `sql:` string points at the right file line and column.
struct YAMLPositions {
    let lines: [[Unicode.Scalar]]

    init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            Array($0.unicodeScalars.filter { $0 != "\r" })
        }
    }

    func lineText(_ line: Int) -> String? {
        guard line >= 1, line <= lines.count else { return nil }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: lines[line - 1])
        return String(s)
    }

    /// The file position of `pos` (1-based line:col within the scalar's value).
    func map(_ node: Node, _ pos: SourcePosition) -> (line: Int, column: Int) {
        guard let mark = node.mark else { return (1, 1) }
        guard case .scalar(let scalar) = node else { return (mark.line, mark.column) }
        let value = Array(scalar.string.unicodeScalars)
        var offset = 0
        var line = 1
        for c in value where line < pos.line {
            offset += 1
            if c == "\n" { line += 1 }
        }
        offset += pos.column - 1
        switch scalar.style {
        case .literal:
            let first = mark.line + 1
            let indent = indentation(of: first)
            return (first + pos.line - 1, indent + pos.column)
        case .folded:
            let first = mark.line + 1
            return walk(from: (first, indentation(of: first) + 1), offset: offset, quote: nil)
        case .singleQuoted:
            return walk(from: (mark.line, mark.column + 1), offset: offset, quote: "'")
        case .doubleQuoted:
            return walk(from: (mark.line, mark.column + 1), offset: offset, quote: "\"")
        default:
            return walk(from: (mark.line, mark.column), offset: offset, quote: nil)
        }
    }

    private func indentation(of line: Int) -> Int {
        guard line >= 1, line <= lines.count else { return 0 }
        return lines[line - 1].prefix { $0 == " " }.count
    }

    /// Steps through the source one value character at a time: a line break (folded to a
    /// space) skips the next line's indentation; escapes take more than one source character.
    private func walk(from start: (Int, Int), offset: Int, quote: Unicode.Scalar?) -> (line: Int, column: Int) {
        var (line, column) = start
        var remaining = offset
        while remaining > 0, line <= lines.count {
            let text = lines[line - 1]
            if column > text.count {
                line += 1
                guard line <= lines.count else { break }
                column = lines[line - 1].prefix { $0 == " " || $0 == "\t" }.count + 1
                remaining -= 1
                continue
            }
            let c = text[column - 1]
            let next: Unicode.Scalar? = column < text.count ? text[column] : nil
            if quote == "\"", c == "\\", let n = next {
                column += n == "u" ? 6 : (n == "x" ? 4 : (n == "U" ? 10 : 2))
            } else if quote == "'", c == "'", next == "'" {
                column += 2
            } else {
                column += 1
            }
            remaining -= 1
        }
        return (line, column)
    }
}
