import IoTCore

/// Recursive-descent parser for AWS IoT SQL 2016-03-23.
public struct Parser {
    private var tokens: [Token]
    private var k = 0
    private var depth = 0

    /// Deeper nesting is rejected so hostile SQL cannot exhaust the stack.
    static let maxDepth = 128
    static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE", "END",
        "TRUE", "FALSE", "NULL", "IN",
    ]

    static let comparisons: [String: BinaryOperator] = [
        "=": .equal, "<>": .notEqual, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater,
        ">=": .greaterOrEqual,
    ]

    private init(tokens: [Token]) { self.tokens = tokens }

    /// Parses a whole rule statement; FROM must name a quoted MQTT topic filter.
    public static func parseStatement(_ sql: String) throws(RuleSQLError) -> SelectStatement {
        var p = Parser(tokens: try Lexer.tokenize(sql))
        let s = try p.select(topLevel: true)
        try p.expectEnd()
        return s
    }

    /// Parses a lone expression (as in a substitution template `${…}`).
    public static func parseExpression(_ text: String) throws(RuleSQLError) -> Expression {
        var p = Parser(tokens: try Lexer.tokenize(text))
        let e = try p.expression()
        try p.expectEnd()
        return e
    }

    private var current: Token { tokens[k] }

    private mutating func advance() { if k < tokens.count - 1 { k += 1 } }

    private mutating func acceptKeyword(_ w: String) -> Bool {
        if current.isKeyword(w) { advance(); return true }
        return false
    }

    private mutating func acceptSymbol(_ s: String) -> Bool {
        if current.isSymbol(s) { advance(); return true }
        return false
    }

    private mutating func expectSymbol(_ s: String, _ context: String) throws(RuleSQLError) {
        guard acceptSymbol(s) else {
            throw RuleSQLError("Expected '\(s)' \(context), found \(current.display).", at: current.position)
        }
    }

    private mutating func expectKeyword(_ w: String, _ context: String) throws(RuleSQLError) {
        guard acceptKeyword(w) else {
            throw RuleSQLError("Expected \(w) \(context), found \(current.display).", at: current.position)
        }
    }

    private func expectEnd() throws(RuleSQLError) {
        guard current.kind == .end else {
            throw RuleSQLError("Unexpected \(current.display) after the end of the statement.", at: current.position)
        }
    }

    private mutating func enter() throws(RuleSQLError) {
        depth += 1
        if depth > Parser.maxDepth {
            throw RuleSQLError("The statement nests deeper than \(Parser.maxDepth) levels.", at: current.position)
        }
    }

    // MARK: SELECT

    private mutating func select(topLevel: Bool) throws(RuleSQLError) -> SelectStatement {
        let start = current.position
        try expectKeyword("SELECT", topLevel ? "at the start of the rule" : "at the start of the nested query")
        var isValue = false
        if current.isKeyword("VALUE") {
            let next = tokens[min(k + 1, tokens.count - 1)]
            if !(next.isKeyword("FROM") || next.isSymbol(",") || next.isKeyword("AS") || next.kind == .end) {
                isValue = true
                advance()
            }
        }
        var items: [SelectItem] = []
        if isValue {
            items.append(.expression(try expression(), key: []))
        } else {
            repeat {
                items.append(try selectItem(number: items.count + 1))
            } while acceptSymbol(",")
        }
        guard acceptKeyword("FROM") else {
            if current.kind == .end {
                throw RuleSQLError("The statement needs a FROM clause after the select list.", at: current.position)
            }
            throw RuleSQLError("Expected ',' or FROM after a select item, found \(current.display).", at: current.position)
        }
        let from: FromClause
        if topLevel {
            guard case .string(let filter) = current.kind else {
                throw RuleSQLError(
                    "The topic filter after FROM must be in single quotes, for example FROM 'devices/+/telemetry'.",
                    at: current.position)
            }
            guard Topic.isValidFilter(filter) else {
                throw RuleSQLError(
                    "'\(filter)' is not a valid MQTT topic filter: '#' must be the last level and alone, '+' must be alone in its level.",
                    at: current.position)
            }
            from = .topicFilter(filter, current.position)
            advance()
        } else {
            from = .expression(try expression())
        }
        var condition: Expression?
        if acceptKeyword("WHERE") { condition = try expression() }
        return SelectStatement(isValue: isValue, items: items, from: from, condition: condition, position: start)
    }

    private mutating func selectItem(number: Int) throws(RuleSQLError) -> SelectItem {
        if current.isSymbol("*") {
            let p = current.position
            advance()
            return .all(p)
        }
        let e = try expression()
        if acceptKeyword("AS") {
            return .expression(e, key: try alias())
        }
        return .expression(e, key: [Parser.defaultName(e, number: number)])
    }

    private mutating func alias() throws(RuleSQLError) -> [String] {
        if case .string(let s) = current.kind {
            advance()
            guard !s.isEmpty else { throw RuleSQLError("An alias must not be empty.", at: current.position) }
            return [s]
        }
        var parts: [String] = []
        repeat {
            guard case .word(let w) = current.kind else {
                throw RuleSQLError("Expected a name after AS, found \(current.display).", at: current.position)
            }
            parts.append(w)
            advance()
        } while acceptSymbol(".")
        return parts
    }

    /// The output key of an item without AS: the last name of a path, the function's name,
    /// otherwise `_N` for the item's position in the list.
    static func defaultName(_ e: Expression, number: Int) -> String {
        switch e {
        case .field(let n, _), .member(_, let n, _): return n
        case .index(let base, _, _): return defaultName(base, number: number)
        case .call(let n, _, _): return n
        default: return "_\(number)"
        }
    }

    // MARK: Expressions (lowest precedence first)

    mutating func expression() throws(RuleSQLError) -> Expression {
        try enter()
        defer { depth -= 1 }
        return try orExpr()
    }

    private mutating func orExpr() throws(RuleSQLError) -> Expression {
        var l = try andExpr()
        while current.isKeyword("OR") {
            let p = current.position
            advance()
            l = .binary(.or, l, try andExpr(), p)
        }
        return l
    }

    private mutating func andExpr() throws(RuleSQLError) -> Expression {
        var l = try notExpr()
        while current.isKeyword("AND") {
            let p = current.position
            advance()
            l = .binary(.and, l, try notExpr(), p)
        }
        return l
    }

    private mutating func notExpr() throws(RuleSQLError) -> Expression {
        if current.isKeyword("NOT") {
            let p = current.position
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary(.not, try notExpr(), p)
        }
        return try comparison()
    }

    private mutating func comparison() throws(RuleSQLError) -> Expression {
        let l = try additive()
        if case .symbol(let s) = current.kind, let op = Parser.comparisons[s] {
            let p = current.position
            advance()
            return .binary(op, l, try additive(), p)
        }
        if current.isKeyword("IN") {
            let p = current.position
            advance()
            return .binary(.in, l, try additive(), p)
        }
        return l
    }

    private mutating func additive() throws(RuleSQLError) -> Expression {
        var l = try multiplicative()
        while true {
            let p = current.position
            if acceptSymbol("+") {
                l = .binary(.add, l, try multiplicative(), p)
            } else if acceptSymbol("-") {
                l = .binary(.subtract, l, try multiplicative(), p)
            } else {
                return l
            }
        }
    }

    private mutating func multiplicative() throws(RuleSQLError) -> Expression {
        var l = try unary()
        while true {
            let p = current.position
            if acceptSymbol("*") {
                l = .binary(.multiply, l, try unary(), p)
            } else if acceptSymbol("/") {
                l = .binary(.divide, l, try unary(), p)
            } else if acceptSymbol("%") {
                l = .binary(.modulo, l, try unary(), p)
            } else {
                return l
            }
        }
    }

    private mutating func unary() throws(RuleSQLError) -> Expression {
        let p = current.position
        if acceptSymbol("-") {
            try enter()
            defer { depth -= 1 }
            let operand = try unary()
            switch operand {
            case .literal(.int(let i), _) where i != Int64.min: return .literal(.int(-i), p)
            case .literal(.decimal(let d), _): return .literal(.decimal(-d), p)
            default: return .unary(.negate, operand, p)
            }
        }
        if acceptSymbol("+") {
            try enter()
            defer { depth -= 1 }
            return try unary()
        }
        return try postfix()
    }

    private mutating func postfix() throws(RuleSQLError) -> Expression {
        var e = try primary()
        while true {
            let p = current.position
            if acceptSymbol(".") {
                guard case .word(let name) = current.kind else {
                    throw RuleSQLError("Expected a member name after '.', found \(current.display).", at: current.position)
                }
                advance()
                e = .member(e, name, p)
            } else if acceptSymbol("[") {
                let index = try expression()
                try expectSymbol("]", "to close the index")
                e = .index(e, index, p)
            } else {
                return e
            }
        }
    }

    private mutating func primary() throws(RuleSQLError) -> Expression {
        let t = current
        let p = t.position
        switch t.kind {
        case .int(let i):
            advance()
            return .literal(.int(i), p)
        case .decimal(let d):
            advance()
            return .literal(.decimal(d), p)
        case .string(let s):
            advance()
            return .literal(.string(s), p)
        case .symbol("("):
            advance()
            try enter()
            defer { depth -= 1 }
            if current.isKeyword("SELECT") {
                let s = try select(topLevel: false)
                try expectSymbol(")", "to close the nested query")
                return .subquery(s, p)
            }
            let e = try expression()
            try expectSymbol(")", "to close the parenthesis opened at \(p)")
            return e
        case .symbol("{"):
            advance()
            return try objectLiteral(p)
        case .symbol("["):
            advance()
            try enter()
            defer { depth -= 1 }
            var elements: [Expression] = []
            if !acceptSymbol("]") {
                repeat { elements.append(try expression()) } while acceptSymbol(",")
                try expectSymbol("]", "to close the array")
            }
            return .arrayLiteral(elements, p)
        case .symbol("*"):
            throw RuleSQLError("'*' is allowed only as a select item or as a function argument.", at: p)
        case .word(let w):
            let upper = w.uppercased()
            switch upper {
            case "TRUE": advance(); return .literal(.bool(true), p)
            case "FALSE": advance(); return .literal(.bool(false), p)
            case "NULL": advance(); return .literal(.null, p)
            case "CASE": advance(); return try caseExpr(p)
            default: break
            }
            if tokens[k + 1].isSymbol("(") {
                advance()
                advance()
                return try call(name: w, p)
            }
            if Parser.reserved.contains(upper) {
                throw RuleSQLError("Expected an expression, found the keyword \(upper).", at: p)
            }
            advance()
            return .field(w, p)
        case .symbol(let s):
            throw RuleSQLError("Expected an expression, found '\(s)'.", at: p)
        case .end:
            throw RuleSQLError("The statement ends where an expression is expected.", at: p)
        }
    }

    private mutating func objectLiteral(_ p: SourcePosition) throws(RuleSQLError) -> Expression {
        try enter()
        defer { depth -= 1 }
        var members: [(String, Expression)] = []
        if acceptSymbol("}") { return .objectLiteral(members, p) }
        repeat {
            let key: String
            switch current.kind {
            case .string(let s), .word(let s): key = s
            default:
                throw RuleSQLError("Expected a quoted key in the object literal, found \(current.display).", at: current.position)
            }
            advance()
            try expectSymbol(":", "after the key '\(key)'")
            members.append((key, try expression()))
        } while acceptSymbol(",")
        try expectSymbol("}", "to close the object literal opened at \(p)")
        return .objectLiteral(members, p)
    }

    private mutating func caseExpr(_ p: SourcePosition) throws(RuleSQLError) -> Expression {
        try enter()
        defer { depth -= 1 }
        var subject: Expression?
        if !current.isKeyword("WHEN") { subject = try expression() }
        var branches: [(Expression, Expression)] = []
        while acceptKeyword("WHEN") {
            let test = try expression()
            try expectKeyword("THEN", "after the WHEN condition")
            branches.append((test, try expression()))
        }
        if branches.isEmpty {
            throw RuleSQLError("A CASE needs at least one WHEN clause; found \(current.display).", at: current.position)
        }
        var otherwise: Expression?
        if acceptKeyword("ELSE") { otherwise = try expression() }
        try expectKeyword("END", "to close the CASE that starts at \(p)")
        return .caseWhen(subject: subject, branches: branches, otherwise: otherwise, p)
    }

    private mutating func call(name: String, _ p: SourcePosition) throws(RuleSQLError) -> Expression {
        try enter()
        defer { depth -= 1 }
        let lower = name.lowercased()
        if lower == "cast" {
            let value = try expression()
            try expectKeyword("AS", "in cast(value AS type)")
            guard case .word(let typeName) = current.kind else {
                throw RuleSQLError("Expected a type name after AS in cast, found \(current.display).", at: current.position)
            }
            guard let type = Parser.castType(typeName) else {
                throw RuleSQLError(
                    "'\(typeName)' is not a cast type; use String, Nvarchar, Text, Ntext, Varchar, Int, Integer, Double, Decimal, Bool or Boolean.",
                    at: current.position)
            }
            advance()
            try expectSymbol(")", "to close cast")
            return .cast(value, type, p)
        }
        var args: [Expression] = []
        if !acceptSymbol(")") {
            repeat {
                if current.isSymbol("*") {
                    args.append(.payload(current.position))
                    advance()
                } else {
                    args.append(try expression())
                }
            } while acceptSymbol(",")
            try expectSymbol(")", "to close the arguments of \(name)")
        }
        return .call(lower, args, p)
    }

    static func castType(_ name: String) -> CastType? {
        switch name.lowercased() {
        case "string", "nvarchar", "text", "ntext", "varchar": return .string
        case "int", "integer": return .int
        case "double": return .double
        case "decimal": return .decimal
        case "bool", "boolean": return .bool
        default: return nil
        }
    }
}
