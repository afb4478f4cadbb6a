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
