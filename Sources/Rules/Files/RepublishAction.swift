import IoTCore

/// AWS's `republish` action: publish the rule's output to a topic (a substitution template).
public struct RepublishAction: Sendable {
    public let topic: SubstitutionTemplate
    public let qos: Int

    /// Reads validated parameters; throws the first issue when they are not valid.
    public init(_ p: ActionParameters) throws(RuleSQLError) {
        if let issue = RepublishAction.validate(p).first {
            throw RuleSQLError(issue.message, at: issue.offset ?? SourcePosition(line: 1, column: 1))
        }
        guard case .string(let t)? = p["topic"] else { preconditionFailure("validated above") }
        topic = try SubstitutionTemplate(t)
        qos = Int(p["qos"]?.intValue ?? 0)
    }

    public static let parameters = ["topic", "qos", "roleArn", "headers"]

    @Sendable public static func validate(_ p: ActionParameters) -> [ActionIssue] {
        var issues = ActionValidation.unknownFields(p, allowed: parameters)
        if let issue = ActionValidation.template(p, "topic", required: true) { issues.append(issue) }
        if let q = p["qos"], q != .int(0), q != .int(1) {
            issues.append(ActionIssue("The republish parameter 'qos' must be 0 or 1, not \(q).", field: "qos"))
        }
        return issues
    }
}
