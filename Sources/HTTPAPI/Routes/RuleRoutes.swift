import Gateway
import Hummingbird
import IoTCore
import Rules

extension GatewayAPI {
    /// AWS `iot` TopicRule operations: Create/Get/List/Replace/Delete/Enable/DisableTopicRule,
    /// with AWS's paths and bodies. File rules are listed with their source and are read-only here.
    func addRuleRoutes(to router: Router<APIRequestContext>) {
        router.get("/rules") { request, _ -> Response in
            let q = request.uri.queryParameters
            let limit = try request.intQuery("maxResults", default: 100, range: 1...10_000)!
            let after = q.get("nextToken").map { String($0) } ?? ""
            let topic = q.get("topic").map { String($0) }
            let disabled = q.get("ruleDisabled").map { $0 == "true" }
            var rules = gateway.rules.list().filter { $0.name > after }
            if let topic { rules = rules.filter { $0.definition?.rule.topicFilter == topic } }
            if let disabled { rules = rules.filter { !$0.enabled == disabled } }
            var body: JSONObject = ["rules": .array(rules.prefix(limit).map(Self.ruleListItem))]
            if rules.count > limit, let last = rules.prefix(limit).last { body["nextToken"] = .string(last.name) }
            return .json(.object(body))
        }
        router.get("/rules/:rule") { _, context -> Response in
            let name = try context.parameters.require("rule")
            guard let info = gateway.rules.rule(named: name) else { throw APIError.notFound("There is no rule named '\(name)'.") }
            return .json(Self.ruleDocument(info))
        }
        router.post("/rules/:rule") { request, context -> Response in
            let name = try context.parameters.require("rule")
            let body = try await Self.ruleBody(request)
            try Self.apiCall { () throws(RuleAPIError) in try gateway.rules.create(name: name, body: body) }
            return .json([:])
        }
        router.patch("/rules/:rule") { request, context -> Response in
            let name = try context.parameters.require("rule")
            let body = try await Self.ruleBody(request)
            try Self.apiCall { () throws(RuleAPIError) in try gateway.rules.replace(name: name, body: body) }
            return .json([:])
        }
        router.delete("/rules/:rule") { _, context -> Response in
            let name = try context.parameters.require("rule")
            try Self.apiCall { () throws(RuleAPIError) in try gateway.rules.delete(name: name) }
            return .json([:])
        }
        for (verb, enabled) in [("enable", true), ("disable", false)] {
            router.post("/rules/:rule/\(verb)") { _, context -> Response in
                let name = try context.parameters.require("rule")
                try Self.apiCall { () throws(RuleAPIError) in try gateway.rules.setEnabled(name: name, enabled) }
                return .json([:])
            }
        }
    }

    /// The largest rule payload accepted (AWS's TopicRulePayload has no documented limit; this bounds memory).
    static let maxRuleBodyBytes = 256 * 1024

    static func ruleBody(_ request: Request) async throws -> [UInt8] {
        let body = try await request.body.collect(upTo: maxRuleBodyBytes + 1)
        guard body.readableBytes <= maxRuleBodyBytes else {
            throw APIError(.contentTooLarge, code: "InvalidRequestException", message: "The rule payload is over \(maxRuleBodyBytes) bytes.")
        }
        return Array(buffer: body)
    }

    static func apiCall(_ body: () throws(RuleAPIError) -> Void) throws(APIError) {
        do { try body() } catch {
            switch error {
            case .notFound(let m): throw APIError.notFound(m)
            case .alreadyExists(let m): throw APIError(.conflict, code: "ResourceAlreadyExistsException", message: m)
            case .fromFile(let m): throw APIError(.conflict, code: "ConflictingResourceUpdateException", message: m)
            case .sqlParse(let m): throw APIError(.badRequest, code: "SqlParseException", message: m)
            case .invalid(let m): throw APIError.badRequest(m)
            case .internal(let m): throw APIError(.internalServerError, code: "InternalException", message: m)
            }
        }
    }

    static func ruleArn(_ name: String) -> String { "arn:aws:iot:local:000000000000:rule/\(name)" }

    static func sourceJSON(_ source: RuleInfo.Source) -> JSONValue {
        switch source {
        case .api: return ["type": "api"]
        case .file(let l): return ["type": "file", "file": .string(l.file), "line": .int(Int64(l.line))]
        }
    }

    static func actionJSON(_ spec: RuleActionSpec) -> JSONValue { .object([spec.kind: .object(spec.parameters.values)]) }

    /// GetTopicRule's `{rule, ruleArn}`, plus `source` and `status` (this gateway's additions).
    static func ruleDocument(_ info: RuleInfo) -> JSONValue {
        var rule: JSONObject = [
            "ruleName": .string(info.name), "ruleDisabled": .bool(!info.enabled), "createdAt": .int(info.createdAt / 1000),
        ]
        if let d = info.definition {
            rule["sql"] = .string(d.sql)
            rule["awsIotSqlVersion"] = .string(d.awsIotSqlVersion)
            if let description = d.description { rule["description"] = .string(description) }
            rule["actions"] = .array(d.actions.map(actionJSON))
            // AWS has one errorAction; a rule file may list several.
            if d.errorActions.count == 1 {
                rule["errorAction"] = actionJSON(d.errorActions[0])
            } else if !d.errorActions.isEmpty {
                rule["errorAction"] = .array(d.errorActions.map(actionJSON))
            }
        }
        var status: JSONObject = ["state": .string(info.state), "errors": .array(info.errors.map { .string($0) })]
        if info.isStale { status["runningLastGoodVersion"] = true }
        return [
            "rule": .object(rule), "ruleArn": .string(ruleArn(info.name)), "source": sourceJSON(info.source),
            "status": .object(status),
        ]
    }

    /// ListTopicRules' item, plus `source` and `state`.
    static func ruleListItem(_ info: RuleInfo) -> JSONValue {
        var o: JSONObject = [
            "ruleName": .string(info.name), "ruleArn": .string(ruleArn(info.name)), "ruleDisabled": .bool(!info.enabled),
            "createdAt": .int(info.createdAt / 1000), "source": sourceJSON(info.source), "state": .string(info.state),
        ]
        if let filter = info.definition?.rule.topicFilter { o["topicPattern"] = .string(filter) }
        return .object(o)
    }
}
