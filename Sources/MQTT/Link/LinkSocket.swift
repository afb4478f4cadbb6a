#if canImport(Glibc)
import Glibc
#endif
// The shim's <sys/eventfd.h>: Swift's Glibc module does not export it.
import CMosquitto

/// The socket calls of the link thread: name resolution, non-blocking connect, sends and wake-ups.
/// Every descriptor is created close-on-exec, because the gateway spawns child processes.
enum LinkSocket {
    /// One resolved address of the broker.
    struct Address {
        var family: Int32
        var storage: sockaddr_storage
        var length: socklen_t
    }

    enum ConnectStart {
        case connected(Int32)
        case inProgress(Int32)
        case failed(errno: Int32)
    }

    /// Resolves `host` (a name or a numeric address) to TCP addresses, or returns a reason. A
    /// `host` that starts with `/` is the path of a Unix domain socket (`port` is then unused).
    static func resolve(host: String, port: Int) -> Result<[Address], ResolveError> {
        if host.hasPrefix("/") { return unixAddress(path: host).map { [$0] } }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            let reason = rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc))
            return .failure(ResolveError(reason: reason))
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var entry = list
        while let info = entry?.pointee {
            if let address = info.ai_addr, Int(info.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen))) }
                addresses.append(Address(family: info.ai_family, storage: storage, length: info.ai_addrlen))
            }
            entry = info.ai_next
        }
        return .success(addresses)
    }

    static func unixAddress(path: String) -> Result<Address, ResolveError> {
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else {
            return .failure(ResolveError(reason: "the socket path \(path) is longer than \(capacity - 1) bytes"))
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: address) { target.copyMemory(from: $0) }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + 1)
        return .success(Address(family: AF_UNIX, storage: storage, length: length))
    }

    struct ResolveError: Error {
        var reason: String
    }

    /// Opens a non-blocking, close-on-exec stream socket and starts connecting it to `address`.
    static func startConnect(to address: Address) -> ConnectStart {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(address.family, type, 0)
        guard fd >= 0 else { return .failed(errno: errno) }
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        if rc == 0 { return .connected(fd) }
        let error = errno
        if error == EINPROGRESS { return .inProgress(fd) }
        close(fd)
        return .failed(errno: error)
    }

    /// The outcome of a non-blocking connect once the socket became writable (0 = connected).
    static func pendingError(_ fd: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { return errno }
        return error
    }

    /// Turns off Nagle's algorithm: a batch is one `send`, and it must leave at once. (Fails
    /// harmlessly on a Unix socket, which has no such delay.)
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// `send` without SIGPIPE (a broken connection must become an error, not end the process).
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    }

    static func makeEventFD() -> Int32 {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fd >= 0, "eventfd failed: \(String(cString: strerror(errno)))")
        return fd
    }

    static func signal(eventFD fd: Int32) {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    static func drain(eventFD fd: Int32) {
        var value: UInt64 = 0
        _ = read(fd, &value, 8)
    }
}
