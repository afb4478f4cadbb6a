import IoTCore
import XCTest

@testable import Rules

/// Shared helpers: run SQL or a lone expression against a payload.
enum Fixture {
    static func message(_ payload: String, topic: String = "topic/subtopic", clientId: String? = "client-1") -> RuleMessage {
        RuleMessage(topic: topic, bytes: Array(payload.utf8), clientId: clientId, principal: "principal-1", timestamp: 1_481_825_251_155, traceId: "trace-1")
    }

    static func run(_ sql: String, _ payload: String, topic: String = "topic/subtopic", environment: RuleEnvironment = .standalone)
        throws -> RuleOutcome
    {
        try CompiledRule(sql: sql).evaluate(message(payload, topic: topic), environment: environment)
    }

    /// Evaluates one expression against a payload; nil is Undefined.
    static func eval(_ expression: String, _ payload: String = "{}", topic: String = "things/myThings/thingOne") throws -> JSONValue? {
        let f = try Compiler.compile(try Parser.parseExpression(expression))
        let m = message(payload, topic: topic)
        return try Scope.run(m, .standalone) { (s) throws(RuleEvaluationError) -> JSONValue? in try f(s) }
    }
}

/// Numbers compare by value (Int 3 equals Decimal 3.0), objects regardless of key order.
func assertSameJSON(_ actual: JSONValue?, _ expected: JSONValue?, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    switch (actual, expected) {
    case (nil, nil): return
    case (let a?, let e?) where Operators.same(a, e): return
    default:
        XCTFail("\(message): got \(actual.map { $0.serialized() } ?? "Undefined"), expected \(expected.map { $0.serialized() } ?? "Undefined")", file: file, line: line)
    }
}

func json(_ text: String) -> JSONValue {
    try! JSONValue.parse(text)
}
