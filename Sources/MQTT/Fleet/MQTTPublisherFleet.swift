#if canImport(Glibc)
import Glibc
#endif
// The shim's <sys/epoll.h>, <sys/eventfd.h> and thread naming.
import CMosquitto
import Synchronization

/// Many MQTT 3.1.1 connections driven by a few threads, for generating load: each member
/// publishes QoS 1 messages one at a time (the next when the previous one's PUBACK arrives), and
/// acknowledges and counts the messages of the filters it subscribed to.
///
/// Per message a member costs one `write` and at most one `read`: everything that arrived for a
/// connection is read at once, and the acknowledgements and the next publish leave in one write.
/// A libmosquitto client (`MQTTClient`) reads every packet with three `read`s and wakes its loop
/// through a socketpair per packet; on a small machine that load generator competes for the CPU
/// with what it measures. No TLS, no reconnects, no QoS 2: a lost connection fails the run.
///
/// Use: `connect()`, then `start(messages:payload:onMessage:)`, watch `acknowledged` and
/// `failure`, then `stop()`.
public final class MQTTPublisherFleet: Sendable {
    public struct Member: Sendable {
        public var clientID: String
        public var username: String?
        public var password: String?
        /// Where this member's messages go.
        public var topic: String
        /// Subscribed at QoS 1 right after connecting.
        public var subscriptions: [String]

        public init(clientID: String, username: String? = nil, password: String? = nil, topic: String, subscriptions: [String] = []) {
            self.clientID = clientID
            self.username = username
            self.password = password
            self.topic = topic
            self.subscriptions = subscriptions
        }
    }

    public let host: String
    public let port: Int
    private let shards: [FleetShard]
    private let shared: FleetShared

    /// `members` are spread over `threads` threads (each with its own epoll set).
    public init(host: String, port: Int, members: [Member], threads: Int = 2, keepAlive: Int = 60) {
        self.host = host
        self.port = port
        let count = max(1, min(threads, members.count))
        shared = FleetShared(keepAlive: keepAlive)
        shards = (0..<count).map { shard in
            FleetShard(index: shard, members: stride(from: shard, to: members.count, by: count).map { (index: $0, member: members[$0]) })
        }
    }

    /// PUBACKs received for the members' publishes so far.
    public var acknowledged: Int { shared.acknowledged.load(ordering: .relaxed) }

    /// Messages received on the members' subscriptions so far.
    public var received: Int { shared.received.load(ordering: .relaxed) }

    /// The first thing that went wrong while running (a sentence naming the member), if anything did.
    public var failure: String? { shared.failure.withLock { $0 } }

    /// Connects every member (CONNECT, CONNACK, then SUBSCRIBE and SUBACK per filter), all
    /// threads at once; throws the first failure, naming the member.
    public func connect(timeout: Duration = .seconds(10)) async throws(MQTTError) {
        let broker = "\(host):\(port)"
        let address: LinkSocket.Address
        switch LinkSocket.resolve(host: host, port: port) {
        case .failure(let error): throw .connectFailed(broker: broker, reason: error.reason)
        case .success(let list):
            guard let first = list.first else { throw .connectFailed(broker: broker, reason: "no address found for \(host)") }
            address = first
        }
        let seconds = max(Int(timeout.components.seconds), 1)
        let keepAlive = shared.keepAlive
        let errors = await withTaskGroup(of: MQTTError?.self) { group in
            for shard in shards {
                group.addTask {
                    await runOnThread(name: "fleet-connect") {
                        shard.connectAll(address: address, broker: broker, timeoutSeconds: seconds, keepAlive: keepAlive)
                    }
                }
            }
            var errors: [MQTTError] = []
            for await error in group { if let error { errors.append(error) } }
            return errors
        }
        if let first = errors.first { throw first }
    }

    /// Starts the threads: member `i` publishes `messages` messages, the `n`th with `payload(i, n)`,
    /// each after the previous one's PUBACK. `onMessage` gets the topic of every message that
    /// arrives on a subscription (on a fleet thread). Returns at once.
    public func start(
        messages: Int, payload: @escaping @Sendable (_ member: Int, _ sequence: Int) -> [UInt8],
        onMessage: @escaping @Sendable (_ topic: UnsafeRawBufferPointer) -> Void = { _ in }
    ) {
        for shard in shards {
            shard.start(messages: messages, payload: payload, onMessage: onMessage, shared: shared)
        }
    }

    /// Stops the threads, then sends DISCONNECT on every connection and closes it.
    public func stop() async {
        shared.stopping.store(true, ordering: .relaxed)
        for shard in shards { await shard.stop() }
    }
}

/// What the shards share: counters, the first failure and the stop flag.
final class FleetShared: Sendable {
    let keepAlive: Int
    let acknowledged = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)

    init(keepAlive: Int) { self.keepAlive = keepAlive }

    func fail(_ reason: String) {
        failure.withLock { $0 = $0 ?? reason }
    }
}

/// One member's connection.
private struct FleetConnection {
    var memberIndex: Int
    var member: MQTTPublisherFleet.Member
    var fd: Int32 = -1
    var sent = 0
    var awaitedPacketID: UInt16 = 0
    var nextPacketID: UInt16 = 1
    /// Bytes of an incomplete packet from the previous read.
    var leftover: [UInt8] = []
    /// Bytes the socket did not take yet (EPOLLOUT is armed while there are any).
    var unsent: [UInt8] = []
    var writableArmed = false
    var lastSend: UInt64 = 0
    var closed = false

    mutating func takePacketID() -> UInt16 {
        let id = nextPacketID
        nextPacketID = nextPacketID == UInt16.max ? 1 : nextPacketID + 1
        return id
    }
}

/// The members of one thread. Confined: `connectAll` runs on one thread, then `run` on another,
/// then `stop` after that thread has ended; never two at once.
final class FleetShard: @unchecked Sendable {
    private let index: Int
    private var connections: [FleetConnection]
    private var thread: pthread_t?
    private var epollFD: Int32 = -1
    private var wakeFD: Int32 = -1
    private var readBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private static let wakeTag: UInt64 = 0

    init(index: Int, members: [(index: Int, member: MQTTPublisherFleet.Member)]) {
        self.index = index
        connections = members.map { FleetConnection(memberIndex: $0.index, member: $0.member) }
    }

    // MARK: Connecting (blocking sockets with timeouts)

    func connectAll(address: LinkSocket.Address, broker: String, timeoutSeconds: Int, keepAlive: Int) -> MQTTError? {
        for i in connections.indices {
            if let error = connect(&connections[i], address: address, broker: broker, timeoutSeconds: timeoutSeconds, keepAlive: keepAlive) {
                return error
            }
        }
        return nil
    }

    private func connect(
        _ c: inout FleetConnection, address: LinkSocket.Address, broker: String, timeoutSeconds: Int, keepAlive: Int
    ) -> MQTTError? {
        let who = "\(broker) as '\(c.member.clientID)'"
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .connectFailed(broker: who, reason: String(cString: strerror(errno))) }
        c.fd = fd
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        guard rc == 0 else { return .connectFailed(broker: who, reason: String(cString: strerror(errno))) }
        LinkSocket.setNoDelay(fd)
        var packet: [UInt8] = []
        MQTTPacketEncoder.appendConnect(
            to: &packet, clientID: c.member.clientID, username: c.member.username, password: c.member.password,
            keepAlive: UInt16(clamping: keepAlive), cleanSession: true, v5: false)
        if let reason = writeAll(fd, packet) { return .connectFailed(broker: who, reason: reason) }
        switch readPacket(&c) {
        case .failure(.timedOut): return .connectTimedOut(broker: who, seconds: Double(timeoutSeconds))
        case .failure(.failed(let reason)): return .connectFailed(broker: who, reason: reason)
        case .success(let (type, body)):
            guard type == MQTTPacketType.connack.rawValue, body.count == 2 else {
                return .connectFailed(broker: who, reason: "the broker answered CONNECT with packet type \(type)")
            }
            if body[1] != 0 { return .connectionRefused(broker: who, reason: Self.connackReason(body[1])) }
        }
        for filter in c.member.subscriptions {
            packet.removeAll(keepingCapacity: true)
            let id = c.takePacketID()
            MQTTPacketEncoder.appendSubscribe(to: &packet, packetID: id, filter: filter, qos: .atLeastOnce, noLocal: false, v5: false)
            if let reason = writeAll(fd, packet) { return .subscribeFailed(filter: filter, reason: "\(who): \(reason)") }
            switch readPacket(&c) {
            case .failure(let failure): return .subscribeFailed(filter: filter, reason: "\(who): \(failure)")
            case .success(let (type, body)):
                guard type == MQTTPacketType.suback.rawValue, body.count == 3, UInt16(body[0]) << 8 | UInt16(body[1]) == id else {
                    return .subscribeFailed(filter: filter, reason: "\(who): the broker answered SUBSCRIBE with packet type \(type)")
                }
                if body[2] >= 0x80 { return .subscribeRefused(filter: filter) }
            }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return nil
    }

    static func connackReason(_ code: UInt8) -> String {
        switch code {
        case 1: return "unacceptable protocol version (CONNACK 1)"
        case 2: return "client identifier rejected (CONNACK 2)"
        case 3: return "server unavailable (CONNACK 3)"
        case 4: return "bad username or password (CONNACK 4)"
        case 5: return "not authorized (CONNACK 5)"
        default: return "CONNACK return code \(code)"
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { LinkSocket.send(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN ? "timed out" : String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
    }

    /// Reads until one whole packet is there (blocking, with the socket's timeout); what follows
    /// it stays in `leftover`.
    private func readPacket(_ c: inout FleetConnection) -> Result<(UInt8, [UInt8]), ReadFailure> {
        while true {
            let found = c.leftover.withUnsafeBytes { bytes -> (UInt8, [UInt8], Int)? in
                guard case .frame(let frame, let next) = MQTTFrame.scan(bytes, from: 0, maxPacketSize: 1 << 20) else { return nil }
                return (frame.typeCode, [UInt8](frame.body), next)
            }
            if let (type, body, next) = found {
                c.leftover.removeFirst(next)
                return .success((type, body))
            }
            let n = readBuffer.withUnsafeMutableBytes { read(c.fd, $0.baseAddress, $0.count) }
            if n == 0 { return .failure(.failed("the broker closed the connection")) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(errno == EAGAIN ? .timedOut : .failed(String(cString: strerror(errno))))
            }
            c.leftover.append(contentsOf: readBuffer[0..<n])
        }
    }

    enum ReadFailure: Error, CustomStringConvertible {
        case timedOut
        case failed(String)

        var description: String {
            switch self {
            case .timedOut: return "no answer in time"
            case .failed(let reason): return reason
            }
        }
    }

    // MARK: Running

    private var messages = 0
    private var payload: (@Sendable (Int, Int) -> [UInt8])?
    private var onMessage: (@Sendable (UnsafeRawBufferPointer) -> Void)?
    private var shared: FleetShared?
    private var outgoing: [UInt8] = []

    func start(
        messages: Int, payload: @escaping @Sendable (Int, Int) -> [UInt8], onMessage: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
        shared: FleetShared
    ) {
        self.messages = messages
        self.payload = payload
        self.onMessage = onMessage
        self.shared = shared
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: \(String(cString: strerror(errno)))")
        wakeFD = LinkSocket.makeEventFD()
        thread = startThread(name: "fleet-\(index)") { [self] in run() }
    }

    func stop() async {
        if let thread {
            signalWake()
            _ = await runOnThread(name: "fleet-join") { pthread_join(thread, nil) }
            self.thread = nil
        }
        for i in connections.indices where connections[i].fd >= 0 {
            if !connections[i].closed {
                var packet: [UInt8] = []
                MQTTPacketEncoder.appendHeaderOnly(.disconnect, to: &packet)
                _ = packet.withUnsafeBytes { LinkSocket.send(connections[i].fd, $0) }
            }
            close(connections[i].fd)
            connections[i].fd = -1
        }
        if epollFD >= 0 { close(epollFD); epollFD = -1 }
        if wakeFD >= 0 { close(wakeFD); wakeFD = -1 }
    }

    private func signalWake() {
        if wakeFD >= 0 { LinkSocket.signal(eventFD: wakeFD) }
    }

    private func run() {
        guard let shared else { return }
        register(wakeFD, tag: Self.wakeTag, events: EPOLLIN.rawValue, op: EPOLL_CTL_ADD)
        let now = MQTTEventLoop.now()
        for i in connections.indices {
            register(connections[i].fd, tag: UInt64(i + 1), events: EPOLLIN.rawValue, op: EPOLL_CTL_ADD)
            connections[i].lastSend = now
            if messages > 0 { queuePublish(&connections[i]) }
            flush(i)
            // Bytes that came after SUBACK while connecting (e.g. retained messages).
            if !connections[i].leftover.isEmpty { process(i, shared: shared) }
        }
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        var lastKeepAliveCheck = now
        while !shared.stopping.load(ordering: .relaxed) {
            let n = epoll_wait(epollFD, &events, Int32(events.count), 1000)
            for e in events.prefix(max(Int(n), 0)) {
                let tag = e.data.u64
                if tag == Self.wakeTag { LinkSocket.drain(eventFD: wakeFD); continue }
                let i = Int(tag) - 1
                guard !connections[i].closed else { continue }
                if e.events & EPOLLOUT.rawValue != 0 { flush(i) }
                if e.events & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { readAvailable(i, shared: shared) }
            }
            let time = MQTTEventLoop.now()
            if time &- lastKeepAliveCheck > 1_000_000_000 {
                lastKeepAliveCheck = time
                keepAlive(now: time, seconds: shared.keepAlive)
            }
        }
    }

    private func register(_ fd: Int32, tag: UInt64, events: UInt32, op: Int32) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = tag
        epoll_ctl(epollFD, op, fd, &event)
    }

    private func keepAlive(now: UInt64, seconds: Int) {
        guard seconds > 0 else { return }
        let half = UInt64(seconds) * 500_000_000
        for i in connections.indices where !connections[i].closed && now &- connections[i].lastSend > half {
            MQTTPacketEncoder.appendHeaderOnly(.pingreq, to: &outgoing)
            flush(i)
        }
    }

    private func queuePublish(_ c: inout FleetConnection) {
        guard let payload else { return }
        let id = c.takePacketID()
        c.awaitedPacketID = id
        MQTTPacketEncoder.appendPublish(
            to: &outgoing, topic: c.member.topic, payload: payload(c.memberIndex, c.sent), qos: .atLeastOnce, retain: false, dup: false,
            packetID: id, v5: false)
        c.sent += 1
    }

    /// Reads what arrived for connection `i` (more reads only while they fill the buffer), handles
    /// every complete packet, then writes the acknowledgements and the next publish together.
    private func readAvailable(_ i: Int, shared: FleetShared) {
        while true {
            let n = readBuffer.withUnsafeMutableBytes { read(connections[i].fd, $0.baseAddress, $0.count) }
            if n > 0 {
                connections[i].leftover.append(contentsOf: readBuffer[0..<n])
                if n < readBuffer.count { break }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { break }
            fail(i, n == 0 ? "the broker closed the connection" : String(cString: strerror(errno)), shared: shared)
            return
        }
        process(i, shared: shared)
    }

    private func process(_ i: Int, shared: FleetShared) {
        // Out of the array while its packets are handled: handling changes the connection.
        var data: [UInt8] = []
        swap(&data, &connections[i].leftover)
        var consumed = 0
        var failure: String?
        data.withUnsafeBytes { bytes in
            scanning: while consumed < bytes.count {
                switch MQTTFrame.scan(bytes, from: consumed, maxPacketSize: 1 << 28) {
                case .frame(let frame, let next):
                    consumed = next
                    if let reason = handle(frame, i, shared: shared) {
                        failure = reason
                        break scanning
                    }
                case .incomplete:
                    break scanning
                case .tooLarge, .malformed:
                    failure = "a malformed packet arrived"
                    break scanning
                }
            }
        }
        if let failure {
            fail(i, failure, shared: shared)
            return
        }
        data.removeFirst(consumed)
        connections[i].leftover = data
        flush(i)
    }

    /// Handles one packet of connection `i`; returns why the connection fails, if it does.
    private func handle(_ frame: MQTTFrame, _ i: Int, shared: FleetShared) -> String? {
        switch frame.type {
        case .puback:
            guard frame.packetID == connections[i].awaitedPacketID, connections[i].awaitedPacketID != 0 else {
                return "a PUBACK for packet \(frame.packetID ?? 0) arrived while \(connections[i].awaitedPacketID) was awaited"
            }
            connections[i].awaitedPacketID = 0
            shared.acknowledged.add(1, ordering: .relaxed)
            if connections[i].sent < messages { queuePublish(&connections[i]) }
        case .publish:
            guard let publish = frame.publish(v5: false) else { return "a malformed PUBLISH arrived" }
            shared.received.add(1, ordering: .relaxed)
            onMessage?(publish.topic)
            if publish.qos == .atLeastOnce {
                MQTTPacketEncoder.appendAcknowledgement(.puback, packetID: publish.packetID, to: &outgoing)
            } else if publish.qos == .exactlyOnce {
                return "a QoS 2 message arrived, which the fleet does not take"
            }
        case .pingresp:
            break
        default:
            return "an unexpected packet of type \(frame.typeCode) arrived"
        }
        return nil
    }

    /// Sends `outgoing` (if any) and what connection `i` had left unsent, arming EPOLLOUT for
    /// what the socket does not take.
    private func flush(_ i: Int) {
        if !outgoing.isEmpty {
            if connections[i].unsent.isEmpty {
                swap(&connections[i].unsent, &outgoing)
            } else {
                connections[i].unsent.append(contentsOf: outgoing)
            }
            outgoing.removeAll(keepingCapacity: true)
        }
        if !connections[i].unsent.isEmpty {
            let n = connections[i].unsent.withUnsafeBytes { LinkSocket.send(connections[i].fd, $0) }
            if n >= 0 {
                connections[i].lastSend = MQTTEventLoop.now()
                connections[i].unsent.removeFirst(n)
            } else if errno != EAGAIN && errno != EINTR {
                if let shared { fail(i, String(cString: strerror(errno)), shared: shared) }
                return
            }
        }
        let wantsOut = !connections[i].unsent.isEmpty
        if wantsOut != connections[i].writableArmed {
            connections[i].writableArmed = wantsOut
            register(connections[i].fd, tag: UInt64(i + 1), events: wantsOut ? EPOLLIN.rawValue | EPOLLOUT.rawValue : EPOLLIN.rawValue, op: EPOLL_CTL_MOD)
        }
    }

    private func fail(_ i: Int, _ reason: String, shared: FleetShared) {
        connections[i].closed = true
        epoll_ctl(epollFD, EPOLL_CTL_DEL, connections[i].fd, nil)
        shared.fail("'\(connections[i].member.clientID)': \(reason)")
    }
}

/// Runs `body` on a new pthread named `name` (at most 15 bytes show).
private func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let context = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        iotgw_name_thread(box.name)
        box.body()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    return thread
}

/// Runs blocking `body` on its own thread and returns its result without blocking a
/// Swift Concurrency thread.
private func runOnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = startThread(name: name) { continuation.resume(returning: body()) }
        pthread_detach(thread)
    }
}
