import Foundation

/// The gateway's own MQTT identity on its embedded broker (full access), created once in
/// `DATA/broker/gateway.secret`. iotsim's probe subscriber uses it with `--data`, since no
/// device may read the topics rules republish to.
public enum GatewayCredentials {
    public static let username = "iotgw"

    public static func secretPath(dataDirectory: String) -> String {
        ((dataDirectory as NSString).appendingPathComponent("broker") as NSString).appendingPathComponent("gateway.secret")
    }

    /// The stored password, or nil when the gateway never ran with this data folder.
    public static func load(dataDirectory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: secretPath(dataDirectory: dataDirectory)) else { return nil }
        let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    /// The stored password, creating a random one (mode 0600) if there is none.
    public static func loadOrCreate(dataDirectory: String) throws -> String {
        if let s = load(dataDirectory: dataDirectory) { return s }
        var rng = SystemRandomNumberGenerator()
        let secret = Data((0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let path = secretPath(dataDirectory: dataDirectory)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        return secret
    }
}
