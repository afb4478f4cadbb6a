/// Why the embedded broker could not be configured, started or kept running; descriptions are sentences.
public enum BrokerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `mosquitto` executable on PATH or at /usr/sbin/mosquitto.
    case executableNotFound(searched: [String])
    /// Another program listens on the port mosquitto was asked to use.
    case portInUse(host: String, port: Int)
    /// mosquitto exited before accepting connections; `log` holds its last lines.
    case exitedDuringStartup(status: String, log: [String])
    /// mosquitto did not accept TCP connections within the deadline.
    case notReady(host: String, port: Int, seconds: Double, log: [String])
    /// A username cannot be written to mosquitto's password or ACL file.
    case invalidUsername(String, reason: String)
    /// Writing a generated file (config, password file, ACL) failed.
    case cannotWrite(path: String, reason: String)
    /// posix_spawn or a system call needed to run mosquitto failed.
    case spawnFailed(reason: String)

    public var description: String {
        switch self {
        case .executableNotFound(let searched):
            return "Could not find the mosquitto executable (looked in \(searched.joined(separator: ", "))); install the 'mosquitto' package or use an external broker."
        case .portInUse(let host, let port):
            return "The MQTT port \(port) on \(host) is already in use by another program; stop it or choose another port (0 picks a free one)."
        case .exitedDuringStartup(let status, let log):
            return "mosquitto \(status) while starting." + Self.tail(log)
        case .notReady(let host, let port, let seconds, let log):
            return "mosquitto did not accept connections on \(host):\(port) within \(seconds) seconds." + Self.tail(log)
        case .invalidUsername(let name, let reason):
            return "The username '\(name)' cannot be used for the broker: \(reason)."
        case .cannotWrite(let path, let reason):
            return "Could not write \(path): \(reason)."
        case .spawnFailed(let reason):
            return "Could not start mosquitto: \(reason)."
        }
    }

    private static func tail(_ log: [String]) -> String {
        log.isEmpty ? "" : " Its last log lines:\n" + log.joined(separator: "\n")
    }
}
