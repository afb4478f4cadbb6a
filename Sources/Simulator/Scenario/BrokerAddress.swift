/// Where the broker listens, from `mqtt://host:port` or `mqtts://host:port`.
public struct BrokerAddress: Codable, Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool

    public init(host: String, port: Int, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// Reads `mqtt://host[:port]` (default 1883) or `mqtts://host[:port]` (default 8883); nil otherwise.
    public static func parse(_ url: String) -> BrokerAddress? {
        let tls: Bool
        let rest: Substring
        if url.hasPrefix("mqtt://") {
            tls = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("mqtts://") {
            tls = true
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        let hostPort = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !hostPort.isEmpty, !hostPort.contains("/") else { return nil }
        if let colon = hostPort.lastIndex(of: ":") {
            guard let port = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(port),
                  colon > hostPort.startIndex else { return nil }
            return BrokerAddress(host: String(hostPort[..<colon]), port: port, tls: tls)
        }
        return BrokerAddress(host: String(hostPort), port: tls ? 8883 : 1883, tls: tls)
    }

    public var description: String { "\(tls ? "mqtts" : "mqtt")://\(host):\(port)" }
}
