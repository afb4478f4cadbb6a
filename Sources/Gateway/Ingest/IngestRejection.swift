/// Why ingest refused a message; the label of `iotgw_ingest_rejected_total`.
public enum IngestRejection: String, Sendable, CaseIterable {
    case invalidJSON = "invalid_json"
    case notObject = "not_object"
    case tooLarge = "too_large"
    case unknownThing = "unknown_thing"

    var explanation: String {
        switch self {
        case .invalidJSON: "the payload is not valid JSON"
        case .notObject: "the payload is JSON but not an object"
        case .tooLarge: "the payload is larger than the configured limit"
        case .unknownThing: "no registered thing publishes telemetry on this topic"
        }
    }
}
