import Foundation
import Yams

/// Why `iotgw.yaml` could not be used.
public struct ConfigurationFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

extension GatewayConfiguration {
    /// Applies the settings of a YAML file (keys as the `serve` flags, camelCase:
    /// `mqttPort`, `httpPort`, `data`, `rules`, `devices`, `brokerUrl`, `maxPayloadBytes`, …).
    /// Unknown keys are errors, so a typo never silently falls back to a default.
    public mutating func apply(file path: String) throws(ConfigurationFileError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationFileError(file: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ConfigurationFileError(file: path, message: "invalid YAML: \(error)")
        }
        guard let map = root as? [String: Any] else {
            if root == nil { return }
            throw ConfigurationFileError(file: path, message: "the top level must be a mapping of setting: value")
        }
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            func int() throws(ConfigurationFileError) -> Int {
                guard let i = value as? Int else {
                    throw ConfigurationFileError(file: path, message: "\(key) must be an integer, got \(value)")
                }
                return i
            }
            func string() throws(ConfigurationFileError) -> String {
                guard let s = value as? String else {
                    throw ConfigurationFileError(file: path, message: "\(key) must be a string, got \(value)")
                }
                return s
            }
            switch key {
            case "mqttHost": mqttHost = try string()
            case "mqttPort": mqttPort = try int()
            case "httpHost": httpHost = try string()
            case "httpPort": httpPort = try int()
            case "data": dataDirectory = try string()
            case "rules": rulesDirectory = try string()
            case "devices": devicesDirectory = try string()
            case "brokerUrl": broker = .external(url: try string())
            case "maxPayloadBytes": maxPayloadBytes = try int()
            case "ingestBatchSize": ingestBatchSize = try int()
            case "ingestQueueLimit": ingestQueueLimit = try int()
            case "brokerMaxQueuedMessages": brokerMaxQueuedMessages = try int()
            default:
                throw ConfigurationFileError(
                    file: path,
                    message:
                        "unknown setting \"\(key)\" (known: brokerMaxQueuedMessages, brokerUrl, data, devices, httpHost, httpPort, ingestBatchSize, ingestQueueLimit, maxPayloadBytes, mqttHost, mqttPort, rules)"
                )
            }
        }
    }
}
