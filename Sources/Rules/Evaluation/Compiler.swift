import IoTCore

/// Turns parsed expressions into closures once, so each message only runs the closures.
enum Compiler {
    static func compile(_ e: Expression) throws(RuleSQLError) -> Evaluator {
        switch e {
        case .literal(let lit, _):
            let v = constant(lit)
            return { _ in v }
        case .field, .member, .index:
            if let path = staticPath(e) { return compilePath(path) }
            return try compileAccess(e)
        case .payload:
            return { s in s.message.payload }
        case .unary(let op, let operand, _):
            let x = try compile(operand)
            switch op {
            case .negate: return { s throws(RuleEvaluationError) in Operators.negate(try x(s)) }
            case .not:
                return { s throws(RuleEvaluationError) in
                    guard let b = Convert.boolean(try x(s)) else { return nil }
                    return .bool(!b)
                }
            }
        case .binary(let op, let l, let r, _):
            return try compileBinary(op, l, r)
        case .call(let name, let args, let p):
            return try FunctionLibrary.compile(name: name, arguments: args, at: p)
        case .cast(let value, let type, _):
            let x = try compile(value)
            return { s throws(RuleEvaluationError) in Cast.apply(try x(s), to: type) }
        case .caseWhen(let subject, let branches, let otherwise, _):
            return try compileCase(subject, branches, otherwise)
        case .objectLiteral(let members, _):
            let compiled = try members.map { (k, v) throws(RuleSQLError) in (k, try compile(v)) }
            return { s throws(RuleEvaluationError) in
                var o = JSONObject(minimumCapacity: compiled.count)
                for (k, f) in compiled {
                    if let v = try f(s) { o[k] = v }
                }
                return .object(o)
            }
        case .arrayLiteral(let elements, _):
            let compiled = try elements.map { (x) throws(RuleSQLError) in try compile(x) }
            return { s throws(RuleEvaluationError) in
                var a: [JSONValue] = []
                a.reserveCapacity(compiled.count)
                for f in compiled {
                    if let v = try f(s) { a.append(v) }
                }
                return .array(a)
            }
        case .subquery(let statement, _):
            return try compileSubquery(statement)
        }
    }

    static func constant(_ lit: LiteralValue) -> JSONValue {
        switch lit {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .decimal(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }

    // MARK: Paths

    enum Step: Sendable {
        case key(String)
        case index(Int)
    }

    /// `a.b[1].c` with constant indices, as a list of steps from the current document.
    static func staticPath(_ e: Expression) -> [Step]? {
        switch e {
        case .field(let name, _): return [.key(name)]
        case .member(let base, let name, _):
            guard var p = staticPath(base) else { return nil }
            p.append(.key(name))
            return p
        case .index(let base, .literal(.int(let i), _), _):
            guard var p = staticPath(base), let n = Int(exactly: i) else { return nil }
            p.append(.index(n))
            return p
        default: return nil
        }
    }

    static func compilePath(_ path: [Step]) -> Evaluator {
        if path.count == 1, case .key(let k) = path[0] {
            return { s in
                guard case .object(let o)? = s.document else { return nil }
                return o[k]
            }
        }
        return { s in
            var v = s.document
            for step in path {
                v = Compiler.step(v, step)
                if v == nil { return nil }
            }
            return v
        }
    }

    @inline(__always)
    static func step(_ v: JSONValue?, _ step: Step) -> JSONValue? {
        switch (step, v) {
        case (.key(let k), .object(let o)?): return o[k]
        case (.index(let i), .array(let a)?):
            guard i >= 0, i < a.count else { return nil }
            return a[i]
        default: return nil
        }
    }

    /// Member and index access on any expression (`get(x, 0).v`, `a[i + 1]`).
    static func compileAccess(_ e: Expression) throws(RuleSQLError) -> Evaluator {
        switch e {
        case .member(let base, let name, _):
            let b = try compile(base)
            return { s throws(RuleEvaluationError) in Compiler.step(try b(s), .key(name)) }
        case .index(let base, let index, _):
            let b = try compile(base)
            let i = try compile(index)
            return { s throws(RuleEvaluationError) in
                let container = try b(s)
                let iv = try i(s)
                switch (container, iv) {
                case (.array(let a)?, _):
                    guard let n = Convert.flooredInt(iv), n >= 0, n < a.count else { return nil }
                    return a[Int(n)]
                case (.object(let o)?, .string(let k)?): return o[k]
                default: return nil
                }
            }
        default:
            return try compile(e)
        }
    }

    // MARK: Operators

    static func compileBinary(_ op: BinaryOperator, _ l: Expression, _ r: Expression) throws(RuleSQLError) -> Evaluator {
        let a = try compile(l)
        let b = try compile(r)
        switch op {
        case .and, .or:
            let isAnd = op == .and
            return { s throws(RuleEvaluationError) in
                guard let x = Convert.boolean(try a(s)), let y = Convert.boolean(try b(s)) else { return nil }
                return .bool(isAnd ? (x && y) : (x || y))
            }
        case .equal: return { s throws(RuleEvaluationError) in Operators.equal(try a(s), try b(s)) }
        case .notEqual: return { s throws(RuleEvaluationError) in Operators.notEqual(try a(s), try b(s)) }
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let test = comparisonTest(op)
            return { s throws(RuleEvaluationError) in
                guard let c = Operators.compare(try a(s), try b(s)) else { return nil }
                return .bool(test(c))
            }
        case .add: return { s throws(RuleEvaluationError) in Operators.add(try a(s), try b(s)) }
        case .subtract, .multiply, .divide, .modulo:
            return { s throws(RuleEvaluationError) in Operators.arithmetic(op, try a(s), try b(s)) }
        case .in: return { s throws(RuleEvaluationError) in Operators.contained(try a(s), try b(s)) }
        }
    }

    static func comparisonTest(_ op: BinaryOperator) -> @Sendable (Int) -> Bool {
        switch op {
        case .less: return { $0 < 0 }
        case .lessOrEqual: return { $0 <= 0 }
        case .greater: return { $0 > 0 }
        default: return { $0 >= 0 }
        }
    }

    /// A WHERE condition: true only when the value is Boolean true (or the string "true").
    /// `a AND b` short-circuits: a false or Undefined left side can never make it true.
    static func compileCondition(_ e: Expression) throws(RuleSQLError) -> @Sendable (Scope) throws(RuleEvaluationError) -> Bool {
        switch e {
        case .binary(.and, let l, let r, _):
            let a = try compileCondition(l)
            let b = try compileCondition(r)
            return { s throws(RuleEvaluationError) in
                guard try a(s) else { return false }
                return try b(s)
            }
        case .binary(let op, let l, let r, _) where [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(op):
            let a = try compile(l)
            let b = try compile(r)
            let test = comparisonTest(op)
            if case .literal(let lit, _) = r, let k = Convert.numeric(constant(lit)) {
                return { s throws(RuleEvaluationError) in
                    guard let c = Operators.compare(try a(s), k) else { return false }
                    return test(c)
                }
            }
            return { s throws(RuleEvaluationError) in
                guard let c = Operators.compare(try a(s), try b(s)) else { return false }
                return test(c)
            }
        default:
            let f = try compile(e)
            return { s throws(RuleEvaluationError) in Convert.boolean(try f(s)) == true }
        }
    }

    // MARK: CASE

    static func compileCase(
        _ subject: Expression?, _ branches: [(Expression, Expression)], _ otherwise: Expression?
    ) throws(RuleSQLError) -> Evaluator {
        let results = try branches.map { (b) throws(RuleSQLError) in try compile(b.1) }
        let fallback = try otherwise.map { (x) throws(RuleSQLError) in try compile(x) }
        if let subject {
            let v = try compile(subject)
            let tests = try branches.map { (b) throws(RuleSQLError) in try compile(b.0) }
            return { s throws(RuleEvaluationError) in
                guard let x = try v(s) else { return nil }
                for k in tests.indices {
                    if let t = try tests[k](s), Operators.same(x, t) { return try results[k](s) }
                }
                return try fallback?(s)
            }
        }
        let conditions = try branches.map { (b) throws(RuleSQLError) in try compileCondition(b.0) }
        return { s throws(RuleEvaluationError) in
            for k in conditions.indices {
                if try conditions[k](s) { return try results[k](s) }
            }
            return try fallback?(s)
        }
    }

    // MARK: Nested queries

    static func compileSubquery(_ statement: SelectStatement) throws(RuleSQLError) -> Evaluator {
        guard case .expression(let fromExpr) = statement.from else {
            throw RuleSQLError("A nested query reads FROM an expression such as an array member, not a topic filter.", at: statement.position)
        }
        let source = try compile(fromExpr)
        let projection = try Projection(statement)
        let condition = try statement.condition.map { (c) throws(RuleSQLError) in try compileCondition(c) }
        return { s throws(RuleEvaluationError) in
            switch try source(s) {
            case .array(let elements)?:
                try s.spend(elements.count, at: statement.position)
                var out: [JSONValue] = []
                out.reserveCapacity(elements.count)
                for element in elements {
                    let inner = s.with(document: element)
                    if let condition, try !condition(inner) { continue }
                    if let v = try projection.evaluate(inner) { out.append(v) }
                }
                return .array(out)
            case .object(let o)?:
                let inner = s.with(document: .object(o))
                if let condition, try !condition(inner) { return nil }
                return try projection.evaluate(inner)
            default:
                return nil
            }
        }
    }
}
