/// Why a REST rule operation was refused, in the terms of AWS's `iot` TopicRule API errors.
public enum RuleAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 404 ResourceNotFoundException / UnauthorizedException in AWS.
    case notFound(String)
    /// 409 ResourceAlreadyExistsException: CreateTopicRule with a name in use.
    case alreadyExists(String)
    /// 409 ConflictingResourceUpdateException: the rule comes from a file.
    case fromFile(String)
    /// 400 SqlParseException; the message holds line:col within the SQL.
    case sqlParse(String)
    /// 400 InvalidRequestException.
    case invalid(String)
    /// 500: storage failed.
    case `internal`(String)

    public var description: String {
        switch self {
        case .notFound(let m), .alreadyExists(let m), .fromFile(let m), .sqlParse(let m), .invalid(let m), .internal(let m):
            return m
        }
    }
}
