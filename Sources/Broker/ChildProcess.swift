import Foundation

/// A child process that dies with this process and is reaped by its own watcher thread.
///
/// Orphans are prevented with the parent-death signal: the child runs `setpriv --pdeathsig KILL`,
/// which then execs the real program with the same pid. The kernel sends that signal when the
/// *thread* that forked exits, so every spawn happens on one thread that lives as long as the
/// process (`Spawner`), never on a pool thread that may be retired.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let exit: LockedValue<ExitState>

    private struct ExitState {
        var status: ExitStatus?
        var waiters: [CheckedContinuation<ExitStatus, Never>] = []
    }

    /// How a child ended.
    struct ExitStatus: Sendable, CustomStringConvertible {
        var raw: Int32
        var code: Int32? { raw & 0x7f == 0 ? (raw >> 8) & 0xff : nil }
        var signal: Int32? { raw & 0x7f != 0 ? raw & 0x7f : nil }
        var description: String {
            if let code { return "exited with status \(code)" }
            if let signal { return "was killed by signal \(signal)" }
            return "ended (status \(raw))"
        }
    }

    private init(pid: pid_t) {
        self.pid = pid
        exit = LockedValue(ExitState())
    }

    static func spawn(executable: String, arguments: [String], outputPath: String) throws(BrokerError) -> ChildProcess {
        var argv: [String] = [executable] + arguments
        let setprivPaths: [String] = ["/usr/bin/setpriv", "/bin/setpriv"]
        if let setpriv = setprivPaths.first(where: { access($0, X_OK) == 0 }) {
            argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv
        }
        let command = argv
        let result = Spawner.shared.run { () -> Result<pid_t, BrokerError> in
            spawnNow(argv: command, outputPath: outputPath)
        }
        let child = ChildProcess(pid: try result.get())
        let watcher = Thread { child.reap() }
        watcher.name = "iotgw-reaper-\(child.pid)"
        watcher.start()
        return child
    }

    private static func spawnNow(argv: [String], outputPath: String) -> Result<pid_t, BrokerError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Sockets of MQTT clients in this process are not close-on-exec; the broker must not hold them.
        _ = closeFrom.map { $0(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        // Own process group: a Ctrl-C in the terminal reaches the gateway, which then stops the broker in order.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        if rc != 0 {
            return .failure(.spawnFailed(reason: "\(argv[0]): \(String(cString: strerror(rc)))"))
        }
        return .success(pid)
    }

    /// glibc 2.34+'s `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not export.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private func reap() {
        var status: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &status, 0) } while rc == -1 && errno == EINTR
        let result = ExitStatus(raw: rc == pid ? status : 0)
        let waiters = exit.withLock { state -> [CheckedContinuation<ExitStatus, Never>] in
            state.status = result
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    var exitStatus: ExitStatus? { exit.withLock { $0.status } }

    func waitForExit() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let done = exit.withLock { state -> ExitStatus? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Sends `signal` unless the child has already been reaped (its pid may belong to another process).
    func send(_ signal: Int32) {
        exit.withLock { state in
            if state.status == nil { Glibc.kill(pid, signal) }
        }
    }
}

/// The one long-lived thread all children are spawned from (see `ChildProcess`).
final class Spawner: @unchecked Sendable {
    static let shared = Spawner()

    // `jobs` is only accessed while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in serve() }
        thread.name = "iotgw-spawner"
        thread.start()
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = LockedValue<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        jobs.append {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result.withLock { $0! }
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll()
            condition.unlock()
            for job in batch { job() }
        }
    }
}
