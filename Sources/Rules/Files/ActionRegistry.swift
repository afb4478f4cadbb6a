import IoTCore

/// The parameters of one action in a rule file, as a validator sees them.
public struct ActionParameters: Sendable {
    public let kind: String
    public let values: JSONObject

    public init(kind: String, values: JSONObject) {
        self.kind = kind
        self.values = values
    }

    public subscript(key: String) -> JSONValue? { values[key] }
}

/// A problem a validator found, tied to a field (and optionally a place inside its string value).
public struct ActionIssue: Sendable, Hashable {
    public var message: String
    /// The parameter the problem is about; nil for the action as a whole.
    public var field: String?
    /// 1-based line and column inside the field's string value (for template errors).
    public var offset: SourcePosition?
    /// Point at the field's name rather than its value (an unknown field).
    public var atName: Bool

    public init(_ message: String, field: String? = nil, offset: SourcePosition? = nil, atName: Bool = false) {
        self.message = message
        self.field = field
        self.offset = offset
        self.atName = atName
    }
}

/// Checks an action's parameters; returns nothing when they are fine.
public typealias ActionValidator = @Sendable (ActionParameters) -> [ActionIssue]

/// Action kinds that rule files may use, each with its parameter validator.
/// The gateway registers the kinds it implements (`store`, `table`, `notify`, …).
public struct ActionRegistry: Sendable {
    public private(set) var validators: [String: ActionValidator] = [:]

    public init() {}

    public mutating func register(_ kind: String, validator: @escaping ActionValidator) {
        validators[kind] = validator
    }

    public var kinds: [String] { validators.keys.sorted() }

    /// The registry with the actions this module defines: `republish`.
    public static var standard: ActionRegistry {
        var r = ActionRegistry()
        r.register("republish", validator: RepublishAction.validate)
        return r
    }
}

/// Validation helpers shared by action validators.
public enum ActionValidation {
    /// Issues for keys not in `allowed`.
    public static func unknownFields(_ p: ActionParameters, allowed: [String]) -> [ActionIssue] {
        p.values.keys.filter { !allowed.contains($0) }.map {
            ActionIssue(
                "The \(p.kind) action has no parameter '\($0)'; its parameters are \(allowed.joined(separator: ", ")).",
                field: $0, atName: true)
        }
    }

    /// The issue for a required string template that is missing or does not parse; nil when fine.
    public static func template(_ p: ActionParameters, _ field: String, required: Bool) -> ActionIssue? {
        guard let v = p[field] else {
            return required ? ActionIssue("The \(p.kind) action needs a '\(field)' parameter.") : nil
        }
        guard case .string(let s) = v else {
            return ActionIssue("The \(p.kind) parameter '\(field)' must be a string.", field: field)
        }
        do {
            _ = try SubstitutionTemplate(s)
            return nil
        } catch {
            return ActionIssue(error.message, field: field, offset: error.position)
        }
    }
}

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
