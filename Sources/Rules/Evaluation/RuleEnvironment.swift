import Foundation
import IoTCore

/// What the gateway lends the evaluator: shadows, tables and identifiers.
public struct RuleEnvironment: Sendable {
    /// `get_thing_shadow(thing[, shadow])`: the shadow document, or nil when there is none.
    public var getThingShadow: @Sendable (_ thing: String, _ shadow: String?) throws -> JSONValue?
    /// `get_table(table, key…)`: the row stored by a `table` action, or nil.
    public var getTable: @Sendable (_ table: String, _ keys: [JSONValue]) throws -> JSONValue?
    /// `newuuid()`.
    public var newUUID: @Sendable () -> String

    public init(
        getThingShadow: @escaping @Sendable (String, String?) throws -> JSONValue? = { _, _ in nil },
        getTable: @escaping @Sendable (String, [JSONValue]) throws -> JSONValue? = { _, _ in nil },
        newUUID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.getThingShadow = getThingShadow
        self.getTable = getTable
        self.newUUID = newUUID
    }

    /// No shadows, no tables: what `rules test` and unit tests use.
    public static let standalone = RuleEnvironment()
}
