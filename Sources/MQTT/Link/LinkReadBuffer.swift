#if canImport(Glibc)
import Glibc
#endif

/// The link thread's receive buffer: `read` appends what the socket has, `consume` drops parsed
/// packets from the front and keeps a partial packet for the next read.
final class LinkReadBuffer {
    private let defaultCapacity: Int
    private var storage: UnsafeMutableRawBufferPointer
    private var count = 0

    init(capacity: Int) {
        defaultCapacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// No free space is left for the next read.
    var isFull: Bool { count == storage.count }

    /// The bytes read and not yet consumed.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[0..<count])
    }

    /// One `read()` into the free space; returns its result (`errno` is set when negative).
    func read(from fd: Int32) -> Int {
        let free = storage.count - count
        let result = Glibc.read(fd, storage.baseAddress! + count, free)
        if result > 0 { count += result }
        return result
    }

    /// `SSL_read` until the free space is full or nothing more is buffered or readable. Data read
    /// before a failure is returned first; the failure recurs on the next call.
    func read(from tls: LinkTLSSession) -> LinkTLSSession.Outcome {
        var total = 0
        while count < storage.count {
            let outcome = tls.read(into: storage.baseAddress! + count, count: storage.count - count)
            guard case .done(let bytes) = outcome else { return total > 0 ? .done(total) : outcome }
            count += bytes
            total += bytes
        }
        return .done(total)
    }

    /// Drops the first `byteCount` bytes, moving what follows (a partial packet) to the front.
    func consume(_ byteCount: Int) {
        guard byteCount > 0 else { return }
        let rest = count - byteCount
        if rest > 0 {
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + byteCount, byteCount: rest)
        } else if storage.count > defaultCapacity {
            // A packet larger than the default buffer has passed; give its memory back.
            storage.deallocate()
            storage = .allocate(byteCount: defaultCapacity, alignment: 16)
        }
        count = rest
    }

    /// Makes room for a packet of `size` bytes (for packets larger than the default buffer).
    func reserve(_ size: Int) {
        guard size > storage.count else { return }
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        larger.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: count)
        storage.deallocate()
        storage = larger
    }

    /// Forgets everything read (the connection is gone).
    func reset() {
        consume(count)
    }
}
