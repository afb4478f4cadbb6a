import IoTCore

/// A rejected shadow request: the HTTP status and message AWS IoT uses for it.
///
/// The messages are the ones on the AWS IoT Developer Guide page "Device Shadow error
/// messages"; where that page gives only a pattern, the text follows what the AWS service
/// was seen to return (noted on each constructor).
public struct ShadowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status code, also the `code` field of the error document.
    public var code: Int
    /// The `message` field of the error document.
    public var message: String
    /// The request's clientToken, echoed in the error document when the request carried a valid one.
    public var clientToken: String?

    public init(code: Int, message: String, clientToken: String? = nil) {
        self.code = code
        self.message = message
        self.clientToken = clientToken
    }

    public var description: String { "\(code) \(message)" }

    /// The same error, echoing `token`.
    public func with(clientToken token: String?) -> ShadowError {
        ShadowError(code: code, message: message, clientToken: token)
    }

    /// The error response document (`…/rejected` payload and REST error body):
    /// `{"code":…,"message":…,"timestamp":…,"clientToken":…}`.
    ///
    /// AWS leaves `timestamp` out of its 404 and 409 documents (the examples in "Interacting
    /// with shadows" and "Simulating Device Shadow service communications" have none), so
    /// those two codes omit it here too.
    public func responseBody(now: Int64) -> [UInt8] {
        var o = JSONObject(minimumCapacity: 4)
        o["code"] = .int(Int64(code))
        o["message"] = .string(message)
        if code != 404 && code != 409 { o["timestamp"] = .int(now) }
        if let clientToken { o["clientToken"] = .string(clientToken) }
        return JSONValue.object(o).serializedBytes()
    }
}

extension ShadowError {
    public static let invalidJSON = ShadowError(code: 400, message: "Invalid JSON")
    public static let missingState = ShadowError(code: 400, message: "Missing required node: state")
    public static let stateNotObject = ShadowError(code: 400, message: "State node must be an object")
    public static let desiredNotObject = ShadowError(code: 400, message: "Desired node must be an object")
    public static let reportedNotObject = ShadowError(code: 400, message: "Reported node must be an object")
    public static let invalidVersion = ShadowError(code: 400, message: "Invalid version")
    public static let invalidClientToken = ShadowError(code: 400, message: "Invalid clientToken")
    /// An array holding `null`; the docs say such arrays are rejected but not with which message,
    /// so this uses the generic invalid-node one.
    public static let invalidNode = ShadowError(code: 400, message: "State contains an invalid node")
    public static let versionConflict = ShadowError(code: 409, message: "Version conflict")
    public static let payloadTooLarge = ShadowError(code: 413, message: "The payload exceeds the maximum size allowed")
    public static let unsupportedEncoding = ShadowError(
        code: 415, message: "Unsupported documented encoding; supported encoding is UTF-8")
    public static let internalFailure = ShadowError(code: 500, message: "Internal service failure")

    /// `state` holds a member other than `desired`/`reported` (and `delta`, which is ignored).
    /// The name in quotes follows the service's answer as recorded by moto's iot-data model.
    public static func invalidNode(named name: String) -> ShadowError {
        ShadowError(code: 400, message: "State contains an invalid node: '\(name)'")
    }

    /// No live shadow under this key. The quoted name is the shadow name for named shadows and
    /// the thing name for the classic shadow, as AWS answers (see the AWS IoT Device SDK
    /// samples and "Simulating Device Shadow service communications").
    public static func notFound(_ key: ShadowKey) -> ShadowError {
        ShadowError(code: 404, message: "No shadow exists with name: '\(key.shadowName ?? key.thingName)'")
    }

    /// `desired` or `reported` nests deeper than `maximum` levels (AWS: 6).
    public static func tooDeep(maximum: Int) -> ShadowError {
        ShadowError(code: 400, message: "JSON contains too many levels of nesting; maximum is \(maximum)")
    }

    /// A thing or shadow name that breaks AWS's pattern or length limit.
    public static func invalidName(_ message: String) -> ShadowError {
        ShadowError(code: 400, message: message)
    }
}
