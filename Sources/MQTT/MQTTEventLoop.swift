#if canImport(Glibc)
import Glibc
#endif
import CMosquitto

/// One thread that drives many `MQTTClient`s with libmosquitto's hand-driven API over epoll.
///
/// The thread is a real pthread because it blocks in `epoll_wait`. Each connected client's socket
/// is registered for EPOLLIN, and for EPOLLOUT only while `mosquitto_want_write` says data is
/// queued, so an idle client costs nothing per iteration. An eventfd wakes the thread when another
/// thread queues work. Keepalive (`mosquitto_loop_misc`) runs in a sweep once a second, and
/// reconnects and connect timeouts sit in a timer heap, so per-event work never visits every client.
///
/// Threading rule: `publish` calls libmosquitto directly from the calling thread (libmosquitto
/// is built with threading; its queues are mutex-protected), because a hop onto this thread per
/// message would cost an allocation and a wake-up. If data is left queued after such a call, the
/// loop is asked to re-check `mosquitto_want_write` for that client. Everything that changes a
/// connection (connect, reconnect, subscribe, disconnect) runs on this thread.
public final class MQTTEventLoop: Sendable {
    /// A process-wide loop, started on first use, for programs that need only one.
    public static let shared = MQTTEventLoop(name: "mqtt-loop")

    public let name: String
    let epollFD: Int32
    private let wakeFD: Int32
    private let shared: Locked<Shared>

    private struct Shared {
        var jobs: [@Sendable () -> Void] = []
        var wakePending = false
        var stopping = false
        var finished = false
        var thread: pthread_t?
        var clients: [Int: MQTTClient] = [:]
        var nextSlot = 1
        var timers = TimerHeap()
    }

    /// epoll tag of the wake-up eventfd; client slots start at 1.
    private static let wakeTag: UInt64 = 0
    private static let maxEvents: Int32 = 512
    /// Packets read from one socket per wake-up before other sockets get their turn.
    private static let readBudget = 64
    private static let sweepInterval: UInt64 = 1_000_000_000

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    public init(name: String = "mqtt-loop") {
        MQTTLibrary.ensureInitialized()
        self.name = name
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: \(String(cString: strerror(errno)))")
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(wakeFD >= 0, "eventfd failed: \(String(cString: strerror(errno)))")
        shared = Locked(Shared())
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeTag
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)

        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let loop = Unmanaged<MQTTEventLoop>.fromOpaque(raw!).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        shared.withLock { $0.thread = thread }
    }

    deinit {
        close(epollFD)
        close(wakeFD)
    }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        pthread_getspecific(Self.threadKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    /// Number of clients currently registered (connecting, connected or waiting to reconnect).
    public var clientCount: Int { shared.withLock { $0.clients.count } }

    /// Runs `job` on the loop thread, after the current iteration's events; dropped after `shutdown()`.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        _ = submit(job)
    }

    /// Queues `job`; false when the loop has stopped and will never run it.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let onLoop = inEventLoop
        let (accepted, wake) = shared.withLock { state -> (Bool, Bool) in
            if state.finished { return (false, false) }
            state.jobs.append(job)
            if onLoop || state.wakePending { return (true, false) }
            state.wakePending = true
            return (true, true)
        }
        if wake { wakeUp() }
        return accepted
    }

    /// Runs `job` on the loop thread once `delay` has passed.
    public func schedule(after delay: Duration, _ job: @escaping @Sendable () -> Void) {
        let deadline = Self.now() &+ Self.nanoseconds(delay)
        let onLoop = inEventLoop
        let wake = shared.withLock { state -> Bool in
            let wasFirst = state.timers.nextDeadline.map { deadline < $0 } ?? true
            state.timers.insert(deadline: deadline, action: job)
            if onLoop || !wasFirst || state.wakePending { return false }
            state.wakePending = true
            return true
        }
        if wake { wakeUp() }
    }

    /// Stops the thread after closing every registered client's socket without DISCONNECT
    /// (their `connect`/`publish`/`subscribe` waiters fail with `closed`). Waits for the thread
    /// unless called from it. Call `disconnect()` on clients first for a clean shutdown.
    public func shutdown() {
        let thread = shared.withLock { state -> pthread_t? in
            if state.stopping { return nil }
            state.stopping = true
            return state.thread
        }
        guard let thread else { return }
        wakeUp()
        if !inEventLoop {
            pthread_join(thread, nil)
        } else {
            pthread_detach(thread)
        }
    }

    // MARK: - Registration (loop thread only)

    func register(_ client: MQTTClient) -> Int {
        shared.withLock { state in
            let slot = state.nextSlot
            state.nextSlot += 1
            state.clients[slot] = client
            return slot
        }
    }

    func deregister(slot: Int) {
        _ = shared.withLock { $0.clients.removeValue(forKey: slot) }
    }

    /// Adds `fd` to epoll for reading, and for writing when `write` is true.
    func watch(fd: Int32, slot: Int, write: Bool) -> Bool {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | (write ? EPOLLOUT.rawValue : 0)
        event.data.u64 = UInt64(slot)
        return epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0
    }

    func rewatch(fd: Int32, slot: Int, write: Bool) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | (write ? EPOLLOUT.rawValue : 0)
        event.data.u64 = UInt64(slot)
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Removes an fd that is still open; a closed fd leaves epoll by itself.
    func unwatch(fd: Int32) {
        var event = epoll_event()
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    // MARK: - The loop

    private func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func run() {
        iotgw_name_thread(String(name.prefix(15)))
        pthread_setspecific(Self.threadKey, Unmanaged.passUnretained(self).toOpaque())
        var events = [epoll_event](repeating: epoll_event(), count: Int(Self.maxEvents))
        var nextSweep = Self.now() &+ Self.sweepInterval
        while true {
            let (jobs, stopping) = shared.withLock { state in
                state.wakePending = false
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return (state.jobs, state.stopping)
            }
            for job in jobs { job() }
            if stopping { break }

            let now = Self.now()
            let timeout: Int32 = shared.withLock { state in
                if !state.jobs.isEmpty { return 0 }
                let deadline = min(nextSweep, state.timers.nextDeadline ?? nextSweep)
                guard deadline > now else { return 0 }
                return Int32(min((deadline - now + 999_999) / 1_000_000, 1000))
            }
            let count = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epollFD, buffer.baseAddress, Self.maxEvents, timeout)
            }
            if count > 0 {
                for index in 0..<Int(count) {
                    let tag = events[index].data.u64
                    let flags = events[index].events
                    if tag == Self.wakeTag {
                        var value: UInt64 = 0
                        _ = read(wakeFD, &value, 8)
                        continue
                    }
                    let client = shared.withLock { $0.clients[Int(tag)] }
                    client?.handleIO(flags: flags)
                }
            }

            let after = Self.now()
            let due = shared.withLock { $0.timers.popDue(now: after) }
            for entry in due { entry.action() }
            if after >= nextSweep {
                nextSweep = after &+ Self.sweepInterval
                let clients = shared.withLock { Array($0.clients.values) }
                for client in clients { client.loopMisc() }
            }
        }
        // Jobs queued before `finished` was set still run, so their waiters are answered.
        var droppedTimers = TimerHeap()
        let (clients, lateJobs) = shared.withLock { state -> ([MQTTClient], [@Sendable () -> Void]) in
            // Released outside the lock: a timer may hold the last reference to a client.
            swap(&droppedTimers, &state.timers)
            state.finished = true
            defer {
                state.clients.removeAll()
                state.jobs.removeAll()
            }
            return (Array(state.clients.values), state.jobs)
        }
        for job in lateJobs { job() }
        for client in clients { client.abandon() }
        droppedTimers.removeAll()
        pthread_setspecific(Self.threadKey, nil)
    }

    var isShutDown: Bool { shared.withLock { $0.stopping } }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
