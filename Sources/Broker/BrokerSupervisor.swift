import Foundation
import Logging

/// Runs the embedded mosquitto: writes its files, starts it, restarts it with backoff when it
/// dies unexpectedly, and stops it (SIGTERM, then SIGKILL). The child also dies if this process
/// is killed outright (parent-death signal, see `ChildProcess`).
public final class BrokerSupervisor: Sendable {
    /// What to run; `mosquitto.port` 0 picks a free port (read it back from `port`), and so does
    /// the port of `mosquitto.pskListener` (read it back from `pskPort`).
    public struct Configuration: Sendable {
        public var mosquitto: MosquittoConfig
        public var users: [(username: String, password: String)]
        public var acl: MosquittoACL
        /// nil: search PATH, then /usr/sbin/mosquitto.
        public var executable: String?
        public var readyTimeout: Duration = .seconds(10)
        public var stopGrace: Duration = .seconds(5)
        public var restartMinDelay: Duration = .milliseconds(500)
        public var restartMaxDelay: Duration = .seconds(30)

        public init(mosquitto: MosquittoConfig, users: [(username: String, password: String)], acl: MosquittoACL, executable: String? = nil) {
            self.mosquitto = mosquitto
            self.users = users
            self.acl = acl
            self.executable = executable
        }
    }

    private struct State {
        var config: MosquittoConfig
        var process: MosquittoProcess?
        var stopping = false
        var restartCount = 0
        var onRestart: (@Sendable (_ restartCount: Int, _ reason: String) -> Void)?
        var monitor: Task<Void, Never>?
    }

    public let configuration: Configuration
    private let logger: Logger
    private let state: LockedValue<State>

    public init(configuration: Configuration, logger: Logger = Logger(label: "iotgw.broker")) {
        self.configuration = configuration
        self.logger = logger
        state = LockedValue(State(config: configuration.mosquitto))
    }

    /// The port mosquitto listens on (the chosen one when configured with 0).
    public var port: Int { state.withLock { $0.config.port } }
    public var host: String { configuration.mosquitto.host }
    /// The port of the loopback TLS-PSK listener, if configured on a port.
    public var pskPort: Int? { state.withLock { $0.config.pskListener.flatMap { $0.socketPath == nil ? $0.port : nil } } }
    /// The Unix socket of the TLS-PSK listener, if configured on one.
    public var pskSocketPath: String? { state.withLock { $0.config.pskListener?.socketPath } }
    /// How many times the broker was restarted after dying unexpectedly.
    public var restartCount: Int { state.withLock { $0.restartCount } }
    /// The running broker's pid, if it is running.
    public var pid: Int32? { state.withLock { $0.process.flatMap { $0.hasExited ? nil : $0.pid } } }

    /// Sets the handler called after each restart following an unexpected exit.
    public func onRestart(_ handler: @escaping @Sendable (_ restartCount: Int, _ reason: String) -> Void) {
        state.withLock { $0.onRestart = handler }
    }

    /// Writes the files and starts mosquitto; returns once it accepts connections.
    ///
    /// When mosquitto cannot create the PSK listener's Unix socket (a file system without
    /// sockets, a missing folder), the listener moves to a free loopback port, with a warning.
    public func start() async throws {
        var attempts = 0
        while true {
            attempts += 1
            var config = state.withLock { $0.config }
            let pskWantsFreePort = config.pskListener.map { $0.port == 0 && $0.socketPath == nil } ?? false
            let wantsFreePort = configuration.mosquitto.port == 0 || pskWantsFreePort
            if configuration.mosquitto.port == 0 { config.port = try FreePort.pick(host: config.host) }
            if pskWantsFreePort {
                var port = try FreePort.pick(host: "127.0.0.1")
                while port == config.port { port = try FreePort.pick(host: "127.0.0.1") }
                config.pskListener?.port = port
            }
            try BrokerFiles.write(config: config, users: configuration.users, acl: configuration.acl)
            do {
                let process = try await MosquittoProcess.start(config: config, executable: configuration.executable, readyTimeout: configuration.readyTimeout)
                state.withLock {
                    $0.config = config
                    $0.process = process
                }
                logger.info("mosquitto is listening", metadata: ["address": "\(config.host):\(config.port)", "pid": "\(process.pid)"])
                watch(process)
                return
            } catch BrokerError.portInUse(_, _) where wantsFreePort && attempts < 5 {
                // Another program took the free port between our probe and mosquitto's bind.
                continue
            } catch BrokerError.exitedDuringStartup(_, let log)
                where config.pskListener?.socketPath != nil && log.contains(where: { $0.contains("unix socket") })
            {
                logger.warning(
                    "mosquitto could not open the Unix socket for the gateway's connection; using a loopback port instead",
                    metadata: ["socket": "\(config.pskListener?.socketPath ?? "")", "log": "\(log.joined(separator: " | "))"])
                state.withLock {
                    $0.config.pskListener?.socketPath = nil
                    $0.config.pskListener?.port = 0
                }
                continue
            }
        }
    }

    /// Rewrites the password and ACL files and tells mosquitto to re-read them (SIGHUP).
    public func updateAccess(users: [(username: String, password: String)], acl: MosquittoACL) throws {
        let (config, process) = state.withLock { ($0.config, $0.process) }
        try BrokerFiles.write(config: config, users: users, acl: acl)
        process?.reload()
    }

    /// Has mosquitto write its persistence database now rather than at the next autosave, so a
    /// session just set up (the gateway's subscriptions) survives a crash of the broker.
    public func persistNow() {
        state.withLock { $0.process }?.persistNow()
    }

    /// Stops mosquitto (SIGTERM, SIGKILL after the grace period) and ends supervision.
    public func stop() async {
        let (process, monitor) = state.withLock { state -> (MosquittoProcess?, Task<Void, Never>?) in
            state.stopping = true
            return (state.process, state.monitor)
        }
        monitor?.cancel()
        await process?.stop(grace: configuration.stopGrace)
        await monitor?.value
    }

    private func watch(_ process: MosquittoProcess) {
        let task = Task { [self] in
            var current = process
            var failures = 0
            while true {
                let status = await current.waitForExit()
                if state.withLock({ $0.stopping }) { return }
                let reason = "mosquitto \(status)"
                logger.error("The broker died unexpectedly; restarting it.", metadata: [
                    "reason": "\(reason)", "log": "\(current.lastLogLines(5).joined(separator: " | "))",
                ])
                while true {
                    failures += 1
                    let delay = backoff(failures)
                    try? await Task.sleep(for: delay)
                    if Task.isCancelled || state.withLock({ $0.stopping }) { return }
                    let config = state.withLock { $0.config }
                    do {
                        current = try await MosquittoProcess.start(config: config, executable: configuration.executable, readyTimeout: configuration.readyTimeout)
                        break
                    } catch {
                        logger.error("Restarting the broker failed; trying again.", metadata: ["error": "\(error)"])
                    }
                }
                failures = 0
                let restarted = current
                let (count, handler, stopping) = state.withLock { state in
                    state.process = restarted
                    state.restartCount += 1
                    return (state.restartCount, state.onRestart, state.stopping)
                }
                if stopping {
                    await restarted.stop(grace: configuration.stopGrace)
                    return
                }
                handler?(count, reason)
            }
        }
        state.withLock { $0.monitor = task }
    }

    private func backoff(_ failures: Int) -> Duration {
        let minimum = configuration.restartMinDelay
        let doubled = minimum * (1 << min(failures - 1, 16))
        return min(doubled, configuration.restartMaxDelay)
    }
}
