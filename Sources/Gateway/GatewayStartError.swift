/// A reason the gateway could not start that the user can fix: printed as one line.
public struct GatewayStartError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
