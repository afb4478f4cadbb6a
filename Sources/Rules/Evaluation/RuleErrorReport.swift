import Foundation
import IoTCore

/// The message a rule's errorAction receives, in AWS IoT's error-action shape:
/// ruleName, topic, clientId, base64OriginalPayload and failures.
public struct RuleErrorReport: Sendable, Equatable {
    /// One action (or the evaluation itself) that failed.
    public struct Failure: Sendable, Equatable {
        /// The action kind, such as "republish", or "SQL" for an evaluation error.
        public var failedAction: String
        /// What the action wrote to (a topic, table, URL), if any.
        public var failedResource: String
        public var errorMessage: String

        public init(failedAction: String, failedResource: String, errorMessage: String) {
            self.failedAction = failedAction
            self.failedResource = failedResource
            self.errorMessage = errorMessage
        }
    }

    public var ruleName: String
    public var topic: String
    public var clientId: String
    public var traceId: String?
    public var originalPayload: [UInt8]
    public var failures: [Failure]

    public init(ruleName: String, message: RuleMessage, failures: [Failure]) {
        self.ruleName = ruleName
        self.topic = message.topic
        self.clientId = message.clientId ?? "n/a"
        self.traceId = message.traceId
        self.originalPayload = message.payloadBytes
        self.failures = failures
    }

    /// The report as the JSON document AWS sends.
    public var json: JSONValue {
        var o: JSONObject = [
            "ruleName": .string(ruleName), "topic": .string(topic), "clientId": .string(clientId),
        ]
        if let traceId { o["traceId"] = .string(traceId) }
        o["base64OriginalPayload"] = .string(Data(originalPayload).base64EncodedString())
        o["failures"] = .array(
            failures.map {
                [
                    "failedAction": .string($0.failedAction), "failedResource": .string($0.failedResource),
                    "errorMessage": .string($0.errorMessage),
                ]
            })
        return .object(o)
    }
}
