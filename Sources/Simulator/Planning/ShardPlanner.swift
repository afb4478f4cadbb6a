#if canImport(Glibc)
import Glibc
#endif

/// Splits a run's devices over worker processes: enough that no process runs out of file
/// descriptors (libmosquitto 2.0.11 holds 3 per client), and one per core once there is enough work.
public struct ShardPlanner: Sendable {
    public var fdLimit: Int
    public var cores: Int
    public static let fdsPerClient = 3
    /// Descriptors a process needs besides its clients: stdio, pipes, epoll, log and device files.
    public static let reservedFds = 200
    /// Below this many devices per core, a second process costs more than it brings.
    public static let devicesPerCore = 2000

    public init(fdLimit: Int = ShardPlanner.openFileLimit(), cores: Int = ShardPlanner.coreCount()) {
        self.fdLimit = fdLimit
        self.cores = cores
    }

    /// Devices one process can hold.
    public var capacityPerProcess: Int { max(0, (fdLimit - Self.reservedFds) / Self.fdsPerClient) }

    /// Device ordinal ranges, one per process; `forced` fixes the number of processes.
    public func plan(devices: Int, forced: Int? = nil) throws(SimulationError) -> [Range<Int>] {
        let capacity = capacityPerProcess
        guard capacity > 0 else {
            throw .invalidInput("The open-files limit (\(fdLimit)) leaves no room for MQTT clients; raise it with ulimit -n.")
        }
        let needed = (devices + capacity - 1) / capacity
        if let forced, forced < needed {
            throw .invalidInput("\(devices) devices need at least \(needed) worker processes: each holds at most \(capacity) clients under the open-files limit of \(fdLimit) (\(Self.fdsPerClient) per client); use --workers \(needed) or more.")
        }
        let byCores = min(cores, (devices + Self.devicesPerCore - 1) / Self.devicesPerCore)
        let count = max(1, forced ?? max(needed, byCores))
        var shards: [Range<Int>] = []
        for i in 0..<count { shards.append((devices * i / count)..<(devices * (i + 1) / count)) }
        return shards
    }

    public static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }

    /// Lifts this process's soft open-files limit to its hard limit, the most it may use.
    public static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }

    public static func coreCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
