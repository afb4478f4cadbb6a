import Foundation

/// One running `mosquitto -c CONF` child process (no restarts; see `BrokerSupervisor` for that).
public final class MosquittoProcess: Sendable {
    public let config: MosquittoConfig
    let child: ChildProcess

    public var pid: Int32 { child.pid }
    /// True once the process has exited and been reaped.
    public var hasExited: Bool { child.exitStatus != nil }

    private init(config: MosquittoConfig, child: ChildProcess) {
        self.config = config
        self.child = child
    }

    /// The mosquitto executable: `PATH` first, then /usr/sbin/mosquitto.
    public static func findExecutable() throws(BrokerError) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/mosquitto" } + ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"]
        if let found = candidates.first(where: { access($0, X_OK) == 0 }) { return found }
        throw .executableNotFound(searched: candidates)
    }

    /// Starts mosquitto with the already written `config.configPath` and waits until its port
    /// accepts TCP connections. Throws `portInUse` if the port is taken, `exitedDuringStartup`
    /// (with its last log lines) if it exits, `notReady` after `readyTimeout`.
    public static func start(config: MosquittoConfig, executable: String? = nil, readyTimeout: Duration = .seconds(10)) async throws -> MosquittoProcess {
        let binary = try executable ?? findExecutable()
        // Otherwise the other program's listener would look like ours becoming ready.
        if FreePort.accepts(host: config.host, port: config.port) {
            throw BrokerError.portInUse(host: config.host, port: config.port)
        }
        let logOffset = fileSize(config.logPath)
        let child = try ChildProcess.spawn(executable: binary, arguments: ["-c", config.configPath], outputPath: config.logPath)
        let process = MosquittoProcess(config: config, child: child)
        let clock = ContinuousClock()
        let deadline = clock.now + readyTimeout
        while true {
            if let status = child.exitStatus {
                let log = logLines(config.logPath, from: logOffset)
                if log.contains(where: { $0.contains("Address already in use") }) {
                    throw BrokerError.portInUse(host: config.host, port: config.port)
                }
                throw BrokerError.exitedDuringStartup(status: status.description, log: Array(log.suffix(10)))
            }
            if FreePort.accepts(host: config.host, port: config.port) { return process }
            if clock.now >= deadline {
                await process.kill()
                let seconds = Double(readyTimeout.components.seconds)
                throw BrokerError.notReady(host: config.host, port: config.port, seconds: seconds, log: Array(logLines(config.logPath, from: logOffset).suffix(10)))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the process exits; returns a phrase such as "exited with status 1".
    @discardableResult
    public func waitForExit() async -> String {
        await child.waitForExit().description
    }

    /// SIGTERM (mosquitto saves its persistence file), then SIGKILL if it is still running after `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        child.send(SIGTERM)
        let exited = await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await self.child.waitForExit(); return true }
            group.addTask { try? await Task.sleep(for: grace); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !exited { await kill() }
    }

    /// SIGKILL, as a crash would; waits until the process is gone.
    public func kill() async {
        child.send(SIGKILL)
        _ = await child.waitForExit()
    }

    /// SIGHUP: mosquitto re-reads its password and ACL files.
    public func reload() {
        child.send(SIGHUP)
    }

    /// SIGUSR1: mosquitto writes its persistence database now (sessions, subscriptions, queues).
    public func persistNow() {
        child.send(SIGUSR1)
    }

    /// The last `count` lines of the broker's log file.
    public func lastLogLines(_ count: Int = 10) -> [String] {
        Array(Self.logLines(config.logPath, from: 0).suffix(count))
    }

    static func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    static func logLines(_ path: String, from offset: UInt64) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
