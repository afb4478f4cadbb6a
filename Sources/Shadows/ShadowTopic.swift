/// A shadow operation a client requests by publishing to `…/get`, `…/update` or `…/delete`.
public enum ShadowOperation: String, Sendable, CaseIterable {
    case get, update, delete
}

/// A topic the gateway publishes a shadow answer or event on.
public enum ShadowResponseKind: String, Sendable, CaseIterable {
    case getAccepted = "get/accepted"
    case getRejected = "get/rejected"
    case updateAccepted = "update/accepted"
    case updateRejected = "update/rejected"
    case updateDelta = "update/delta"
    case updateDocuments = "update/documents"
    case deleteAccepted = "delete/accepted"
    case deleteRejected = "delete/rejected"

    /// `…/accepted` for `operation`.
    public static func accepted(_ operation: ShadowOperation) -> ShadowResponseKind {
        switch operation {
        case .get: .getAccepted
        case .update: .updateAccepted
        case .delete: .deleteAccepted
        }
    }

    /// `…/rejected` for `operation`.
    public static func rejected(_ operation: ShadowOperation) -> ShadowResponseKind {
        switch operation {
        case .get: .getRejected
        case .update: .updateRejected
        case .delete: .deleteRejected
        }
    }
}

/// Parsing and building the reserved `$aws/things/{thing}/shadow[/name/{shadow}]/…` topics.
public enum ShadowTopic {
    /// The MQTT subscriptions that carry every shadow request (`$aws` topics are matched
    /// only by filters that start with `$aws`, so these are listed explicitly).
    public static let requestFilters = [
        "$aws/things/+/shadow/get", "$aws/things/+/shadow/update", "$aws/things/+/shadow/delete",
        "$aws/things/+/shadow/name/+/get", "$aws/things/+/shadow/name/+/update", "$aws/things/+/shadow/name/+/delete",
    ]

    /// The shadow and operation a request topic names; nil for any other topic (answers such
    /// as `…/update/accepted` included). Throws when it is a shadow request topic whose thing
    /// or shadow name breaks AWS's naming rules, so the caller can reject it.
    public static func parseRequest(_ topic: String) throws(ShadowError) -> (key: ShadowKey, operation: ShadowOperation)? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 7, parts[0] == "$aws", parts[1] == "things", parts[3] == "shadow",
              let operation = ShadowOperation(rawValue: String(parts[parts.count - 1]))
        else { return nil }
        var shadowName: String?
        if parts.count == 7 {
            guard parts[4] == "name" else { return nil }
            shadowName = String(parts[5])
        }
        let key = try ShadowKey(thingName: String(parts[2]), shadowName: shadowName)
        return (key, operation)
    }

    /// `{prefix}/get`, `{prefix}/update` or `{prefix}/delete` for `key`.
    public static func request(_ key: ShadowKey, _ operation: ShadowOperation) -> String {
        "\(key.topicPrefix)/\(operation.rawValue)"
    }

    /// The topic of an answer or event for `key`, e.g. `$aws/things/t/shadow/update/delta`.
    public static func response(_ key: ShadowKey, _ kind: ShadowResponseKind) -> String {
        "\(key.topicPrefix)/\(kind.rawValue)"
    }
}
