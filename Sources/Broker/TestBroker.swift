import Foundation

/// A real mosquitto on a free port in a temporary folder, for tests of any module.
public final class TestBroker: Sendable {
    /// The user created when `start` is given none; it has full access.
    public static let defaultUser = (username: "test", password: "test-password")

    public let config: MosquittoConfig
    public let users: [(username: String, password: String)]
    private let process: LockedValue<MosquittoProcess?>

    public var host: String { config.host }
    public var port: Int { config.port }
    public var directory: String { config.directory }

    private init(config: MosquittoConfig, users: [(username: String, password: String)], process: MosquittoProcess) {
        self.config = config
        self.users = users
        self.process = LockedValue(process)
    }

    /// Starts mosquitto with `users`; `acl` defaults to full access for every user.
    /// `configure` may change the config (persistence, limits) before it is written.
    public static func start(
        users: [(username: String, password: String)] = [TestBroker.defaultUser],
        acl: MosquittoACL? = nil,
        configure: @Sendable (inout MosquittoConfig) -> Void = { _ in }
    ) async throws -> TestBroker {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("iotgw-broker-\(UUID().uuidString.prefix(8))").path
        let access = acl ?? MosquittoACL(fullAccessUsers: users.map(\.username), devicePatterns: [])
        var lastError: (any Error)?
        for _ in 0..<5 {
            var config = MosquittoConfig(directory: directory, port: try FreePort.pick())
            config.autosaveInterval = 1
            configure(&config)
            if config.pskListener?.port == 0 && config.pskListener?.socketPath == nil {
                var port = try FreePort.pick()
                while port == config.port { port = try FreePort.pick() }
                config.pskListener?.port = port
            }
            try BrokerFiles.write(config: config, users: users, acl: access)
            do {
                let process = try await MosquittoProcess.start(config: config)
                return TestBroker(config: config, users: users, process: process)
            } catch BrokerError.portInUse(_, _) {
                lastError = BrokerError.portInUse(host: config.host, port: config.port)
            }
        }
        throw lastError!
    }

    /// The running process (nil after `kill()` or `stop()`).
    public var pid: Int32? { process.withLock { $0?.pid } }

    /// SIGKILL, like a crash: in-memory state not yet autosaved is lost.
    public func kill() async {
        let running = process.withLock { state -> MosquittoProcess? in
            defer { state = nil }
            return state
        }
        await running?.kill()
    }

    /// Kills the broker (if running) and starts it again on the same port with the same files.
    public func restart() async throws {
        await kill()
        let started = try await MosquittoProcess.start(config: config)
        process.withLock { $0 = started }
    }

    /// Stops the broker (SIGTERM) and deletes its folder.
    public func stop() async {
        let running = process.withLock { state -> MosquittoProcess? in
            defer { state = nil }
            return state
        }
        await running?.stop(grace: .seconds(3))
        try? FileManager.default.removeItem(atPath: config.directory)
    }

    /// The broker's log so far, for failure messages.
    public func log() -> [String] {
        MosquittoProcess.logLines(config.logPath, from: 0)
    }
}
