import IoTCore

/// A validated `/update` request state document.
struct ShadowUpdateRequest {
    /// What the request does to one of `desired` / `reported`.
    enum Section {
        case unchanged
        case remove
        case merge(JSONObject)
    }

    /// `"state": null`: both sections are cleared (the shadow itself stays, its version moves on).
    var clearsState = false
    var desired = Section.unchanged
    var reported = Section.unchanged
    /// The request's `state` as the `accepted` document echoes it (`delta` left out).
    var stateEcho: JSONValue = .null
    var version: Int64?
    var clientToken: String?

    /// Checks the document in the order that lets the most specific AWS message win and that
    /// echoes the clientToken in every error raised after the token itself was found valid.
    init(_ document: JSONValue, limits: ShadowLimits) throws(ShadowError) {
        guard case .object(let doc) = document else { throw .invalidJSON }
        switch doc["clientToken"] {
        case nil, .null?: break
        case .string(let token)? where token.utf8.count <= limits.maxClientTokenBytes: clientToken = token
        default: throw .invalidClientToken
        }
        do throws(ShadowError) {
            try parseState(doc["state"], limits: limits)
            switch doc["version"] {
            case nil, .null?: break
            case .int(let v)? where v >= 0: version = v
            case .double(let d)? where d >= 0 && d.rounded() == d && d < 9.2e18: version = Int64(d)
            default: throw ShadowError.invalidVersion
            }
        } catch {
            throw error.with(clientToken: clientToken)
        }
    }

    private mutating func parseState(_ state: JSONValue?, limits: ShadowLimits) throws(ShadowError) {
        guard let state else { throw .missingState }
        switch state {
        case .null:
            clearsState = true
            stateEcho = .null
            return
        case .object(var members):
            for (name, value) in members {
                switch name {
                case "desired":
                    desired = try Self.section(value, notObject: .desiredNotObject, limits: limits)
                case "reported":
                    reported = try Self.section(value, notObject: .reportedNotObject, limits: limits)
                case "delta":
                    // A client that read a shadow and sends it back unchanged includes the
                    // computed delta; AWS's own shadow code drops it rather than failing.
                    continue
                default:
                    throw .invalidNode(named: name)
                }
            }
            members.removeValue(forKey: "delta")
            stateEcho = .object(members)
        default:
            throw .stateNotObject
        }
    }

    private static func section(_ value: JSONValue, notObject: ShadowError, limits: ShadowLimits)
        throws(ShadowError) -> Section
    {
        switch value {
        case .null: return .remove
        case .object(let o):
            if exceedsDepth(o, level: 1, maximum: limits.maxDepth) { throw .tooDeep(maximum: limits.maxDepth) }
            if containsNullInArray(.object(o), inArray: false) { throw .invalidNode }
            return .merge(o)
        default: throw notObject
        }
    }

    /// Counts containers only, the section object being level 1; an empty container adds no
    /// level. This is how AWS's shadow code measures the documented "maximum depth of 6".
    static func exceedsDepth(_ o: JSONObject, level: Int, maximum: Int) -> Bool {
        if o.isEmpty { return false }
        if level > maximum { return true }
        for v in o.values where exceedsDepth(v, level: level + 1, maximum: maximum) { return true }
        return false
    }

    private static func exceedsDepth(_ v: JSONValue, level: Int, maximum: Int) -> Bool {
        switch v {
        case .object(let o): return exceedsDepth(o, level: level, maximum: maximum)
        case .array(let a):
            if a.isEmpty { return false }
            if level > maximum { return true }
            for e in a where exceedsDepth(e, level: level + 1, maximum: maximum) { return true }
            return false
        default: return false
        }
    }

    /// "Arrays can't have null values" (Device Shadow service documents, arrays); checked at
    /// any depth below an array, since an array is stored whole and a null there can remove nothing.
    private static func containsNullInArray(_ v: JSONValue, inArray: Bool) -> Bool {
        switch v {
        case .null: return inArray
        case .array(let a):
            for e in a where containsNullInArray(e, inArray: true) { return true }
            return false
        case .object(let o):
            for e in o.values where containsNullInArray(e, inArray: inArray) { return true }
            return false
        default: return false
        }
    }
}
