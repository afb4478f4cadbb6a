#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

extension MQTTLink {
    /// TLS for a link. Only pre-shared keys (TLS-PSK, RFC 4279 and TLS 1.3 external PSKs): the
    /// gateway uses it on its loopback connection to the embedded broker, for which it writes the
    /// key into mosquitto's `psk_file`, so no certificate has to exist.
    ///
    /// Besides privacy on a shared host, TLS changes how mosquitto 2.0.11 reads: over plain TCP it
    /// handles one packet per `epoll` wake-up with three `read()` calls, over TLS it handles every
    /// packet of a decrypted record (up to 16 KiB) in one go. For a link that sends batches, that
    /// is several times less broker CPU per packet sent (notes in BENCHMARKS.md).
    public struct TLS: Sendable, Hashable {
        /// The PSK identity (1...128 bytes, no NUL), as listed in mosquitto's `psk_file`.
        public var identity: String
        /// The key (1...64 bytes).
        public var key: [UInt8]

        public static func preSharedKey(identity: String, key: [UInt8]) -> TLS {
            TLS(identity: identity, key: key)
        }

        func validate() throws(MQTTError) {
            if identity.isEmpty || identity.utf8.count > 128 || identity.utf8.contains(0) {
                throw .invalidConfiguration(field: "tls.identity", reason: "a PSK identity has 1...128 bytes and no NUL")
            }
            if key.isEmpty || key.count > 64 {
                throw .invalidConfiguration(field: "tls.key", reason: "a pre-shared key has 1...64 bytes, not \(key.count)")
            }
        }
    }
}

/// An OpenSSL client context for one link (its PSK, TLS 1.2 or later, large read-ahead).
final class LinkTLSContext: Sendable {
    /// `SSL_CTX *`; OpenSSL contexts may be shared between threads once set up.
    nonisolated(unsafe) let pointer: OpaquePointer?

    init(_ tls: MQTTLink.TLS) {
        pointer = tls.key.withUnsafeBufferPointer { key in
            iotgw_tls_psk_context(tls.identity, key.baseAddress, UInt32(key.count))
        }
    }

    deinit {
        iotgw_tls_context_free(pointer)
    }
}

/// One TLS session over the link's connected, non-blocking socket. Link thread only.
final class LinkTLSSession {
    enum Outcome {
        /// This many bytes were read or written (> 0), or the handshake finished (0).
        case done(Int)
        /// Try again when the socket is readable (`wantWrite` false) or writable.
        case wouldBlock(wantWrite: Bool)
        /// The broker closed the connection.
        case closed
        case failed(String)
    }

    private let ssl: OpaquePointer

    init?(context: LinkTLSContext, fd: Int32) {
        guard let pointer = context.pointer, let ssl = iotgw_tls_session(pointer, fd) else { return nil }
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
    }

    func handshake() -> Outcome {
        ERR_clear_error()
        return outcome(of: SSL_do_handshake(ssl)) { _ in .done(0) }
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Outcome {
        ERR_clear_error()
        return outcome(of: SSL_read(ssl, buffer, Int32(min(count, Int(Int32.max))))) { .done(Int($0)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        ERR_clear_error()
        return outcome(of: SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))) { .done(Int($0)) }
    }

    /// Sends close_notify if the socket takes it at once; the socket is closed right after.
    func close() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    private func outcome(of result: Int32, success: (Int32) -> Outcome) -> Outcome {
        if result > 0 { return success(result) }
        let code = errno
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wouldBlock(wantWrite: false)
        case SSL_ERROR_WANT_WRITE:
            return .wouldBlock(wantWrite: true)
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            // errno 0: the peer closed the socket without close_notify.
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .wouldBlock(wantWrite: false) }
            return code == 0 ? .closed : .failed(String(cString: strerror(code)))
        default:
            var text = [CChar](repeating: 0, count: 256)
            iotgw_tls_last_error(&text, text.count)
            let reason = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failed(reason.isEmpty ? "TLS error" : "TLS: \(reason)")
        }
    }
}
