import IoTCore

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
