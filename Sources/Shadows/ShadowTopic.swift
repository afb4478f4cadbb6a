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
        // Every message to the gateway passes here: scan the bytes (splitting a String by
        // Character walks grapheme clusters, which showed up per message).
        var topic = topic
        let parsed = topic.withUTF8 { bytes -> (thing: String, shadow: String?, operation: ShadowOperation)? in
            var bounds: [Range<Int>] = []
            bounds.reserveCapacity(7)
            var start = 0
            for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "/") {
                bounds.append(start..<i)
                start = i + 1
                if bounds.count == 7 { return nil }
            }
            bounds.append(start..<bytes.count)
            func part(_ n: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[bounds[n]]) }
            func equals(_ n: Int, _ text: StaticString) -> Bool {
                let p = part(n)
                return p.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
            }
            guard bounds.count == 5 || bounds.count == 7, equals(0, "$aws"), equals(1, "things"), equals(3, "shadow"),
                  bounds.count == 5 || equals(4, "name")
            else { return nil }
            let operation: ShadowOperation
            if equals(bounds.count - 1, "update") {
                operation = .update
            } else if equals(bounds.count - 1, "get") {
                operation = .get
            } else if equals(bounds.count - 1, "delete") {
                operation = .delete
            } else {
                return nil
            }
            let thing = String(decoding: part(2), as: UTF8.self)
            return (thing, bounds.count == 7 ? String(decoding: part(5), as: UTF8.self) : nil, operation)
        }
        guard let parsed else { return nil }
        let key = try ShadowKey(thingName: parsed.thing, shadowName: parsed.shadow)
        return (key, parsed.operation)
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
