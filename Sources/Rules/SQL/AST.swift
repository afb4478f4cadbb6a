/// A parsed SQL expression with the position where it starts.
public indirect enum Expression: Sendable {
    case literal(LiteralValue, SourcePosition)
    /// A name looked up in the current document (the payload, or the element in a nested query).
    case field(String, SourcePosition)
    /// `*` used as a value (for example `encode(*, 'base64')`): the whole payload.
    case payload(SourcePosition)
    case member(Expression, String, SourcePosition)
    case index(Expression, Expression, SourcePosition)
    case unary(UnaryOperator, Expression, SourcePosition)
    case binary(BinaryOperator, Expression, Expression, SourcePosition)
    case call(String, [Expression], SourcePosition)
    case cast(Expression, CastType, SourcePosition)
    /// `CASE v WHEN t THEN r … ELSE e END` (subject set) or `CASE WHEN cond THEN r … END`.
    case caseWhen(subject: Expression?, branches: [(Expression, Expression)], otherwise: Expression?, SourcePosition)
    case objectLiteral([(String, Expression)], SourcePosition)
    case arrayLiteral([Expression], SourcePosition)
    case subquery(SelectStatement, SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .literal(_, let p), .field(_, let p), .payload(let p), .member(_, _, let p), .index(_, _, let p),
            .unary(_, _, let p), .binary(_, _, _, let p), .call(_, _, let p), .cast(_, _, let p),
            .caseWhen(_, _, _, let p), .objectLiteral(_, let p), .arrayLiteral(_, let p), .subquery(_, let p):
            return p
        }
    }
}

/// A constant written in the SQL.
public enum LiteralValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case decimal(Double)
    case string(String)
}

/// `-` and `NOT`.
public enum UnaryOperator: String, Sendable {
    case negate = "-"
    case not = "NOT"
}

/// Infix operators, in AWS IoT SQL's spelling.
public enum BinaryOperator: String, Sendable {
    case and = "AND", or = "OR"
    case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case `in` = "IN"
}

/// Target types of `cast(value AS type)`.
public enum CastType: String, Sendable {
    case string, int, decimal, double, bool
}

/// One entry of a SELECT list.
public enum SelectItem: Sendable {
    /// `*`: every member of the document.
    case all(SourcePosition)
    /// An expression with its output key path (`AS a.b` nests).
    case expression(Expression, key: [String])
}

/// What a SELECT reads from: a topic filter at the top level, an expression in a nested query.
public enum FromClause: Sendable {
    case topicFilter(String, SourcePosition)
    case expression(Expression)
}

/// A parsed `SELECT … FROM … [WHERE …]`.
public struct SelectStatement: Sendable {
    /// True for `SELECT VALUE expr`.
    public var isValue: Bool
    public var items: [SelectItem]
    public var from: FromClause
    public var condition: Expression?
    public var position: SourcePosition
}
