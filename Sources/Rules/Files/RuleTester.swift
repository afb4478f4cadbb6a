import IoTCore

/// What `iotgw rules test` runs: one SQL statement against one message.
public enum RuleTester {
    /// The result with the CLI's exit code: 0 fired, 2 did not fire, 1 invalid SQL or payload.
    public struct Result: Sendable, Equatable {
        public var exitCode: Int32
        /// The output JSON (or raw bytes as text) when the rule fired.
        public var standardOutput: String
        /// Why it did not fire, or the error with line:col.
        public var standardError: String
    }

    public static func run(
        sql: String, topic: String, payload: String, clientId: String? = nil, principal: String? = nil,
        environment: RuleEnvironment = .standalone
    ) -> Result {
        let rule: CompiledRule
        do {
            rule = try CompiledRule(sql: sql)
        } catch {
            return Result(exitCode: 1, standardOutput: "", standardError: "sql:\(error.line):\(error.column): error: \(error.message)")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(payload)
        } catch {
            return Result(exitCode: 1, standardOutput: "", standardError: "payload: error: The payload is not valid JSON: \(error).")
        }
        let message = RuleMessage(
            topic: topic, payload: json, rawPayload: Array(payload.utf8), clientId: clientId, principal: principal)
        do {
            switch try rule.evaluate(message, environment: environment) {
            case .fired(let v): return Result(exitCode: 0, standardOutput: v.serialized(), standardError: "")
            case .firedRaw(let bytes):
                return Result(exitCode: 0, standardOutput: String(decoding: bytes, as: UTF8.self), standardError: "")
            case .notMatched(let reason): return Result(exitCode: 2, standardOutput: "", standardError: reason.description)
            }
        } catch {
            return Result(
                exitCode: 1, standardOutput: "",
                standardError: "sql:\(error.position.line):\(error.position.column): error: Evaluation failed: \(error.message)")
        }
    }
}
