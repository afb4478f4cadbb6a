import Foundation
import GatewayTesting
@testable import HTTPAPI
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `HotReadHandler` answers `GET /health` and API-key shadow reads before Hummingbird's router.
/// Its answers must be the router's, byte for byte (but the `Date`), and responses must keep
/// request order on a connection.
final class HTTPFastPathTests: XCTestCase {
    func testFastAnswersAreTheRoutersAnswersAndAreCounted() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let key = gw.adminSecret
        _ = try await gw.requestJSON("POST", "/things/pump-0001/shadow", body: ["state": ["reported": ["a": 1], "desired": ["a": 2]]])
        _ = try await gw.requestJSON("POST", "/things/pump-0001/shadow?name=cfg", body: ["state": ["reported": ["b": true]]])
        let requests = [
            "GET /health HTTP/1.1\r\nHost: x\r\n",
            "GET /things/pump-0001/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\n",
            "GET /things/pump-0001/shadow?name=cfg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\n",
            "GET /things/pump-0001/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\nIf-None-Match: \"1\"\r\n",
            "GET /things/pump-0001/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\nIf-None-Match: *\r\n",
        ]
        let before = try await fastPathCount(gw)
        for request in requests {
            // `Connection: close` always goes to the router; without it, these take the fast path.
            let fast = try RawHTTP.exchange(port: gw.httpPort, request + "\r\n", responses: 1)[0]
            let routed = try RawHTTP.exchange(port: gw.httpPort, request + "Connection: close\r\n\r\n", responses: 1)[0]
            XCTAssertEqual(fast.withoutDate, routed.withoutDate, "same answer for \(request)")
            XCTAssertTrue([200, 304].contains(fast.status), "\(fast.statusLine) for \(request)")
            let date = try XCTUnwrap(fast.header("Date"))
            XCTAssertEqual(date.count, 29, date)
            XCTAssertTrue(date.hasSuffix(" GMT"), date)
        }
        let after = try await fastPathCount(gw)
        XCTAssertEqual(after - before, Double(requests.count), "each request without Connection: close took the fast path")

        // Errors and anything unusual go to the router, which answers them as before.
        let others = [
            ("GET /things/pump-0001/shadow HTTP/1.1\r\nHost: x\r\n\r\n", 401),
            ("GET /things/pump-0001/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: wrong\r\n\r\n", 401),
            ("GET /things/pump-0001/shadow?name=none HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\n\r\n", 404),
            ("GET /things/pump-0001/shadow?name=cfg&x=1 HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\n\r\n", 200),
            ("GET /things/pump%2D0001/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\n\r\n", 400),
            ("GET /things/bad!name/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\n\r\n", 400),
        ]
        for (request, status) in others {
            let response = try RawHTTP.exchange(port: gw.httpPort, request, responses: 1)[0]
            XCTAssertEqual(response.status, status, "\(request): \(response.statusLine) \(String(decoding: response.body, as: UTF8.self))")
        }
        let afterOthers = try await fastPathCount(gw)
        XCTAssertEqual(afterOthers, after, "none of those took the fast path")
    }

    func testPipelinedResponsesKeepRequestOrder() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let key = gw.adminSecret
        _ = try await gw.requestJSON("POST", "/things/pump-0002/shadow", body: ["state": ["reported": ["n": 0]]])
        let get = "GET /things/pump-0002/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\n\r\n"
        let update = #"{"state":{"reported":{"n":1}}}"#
        let post = "POST /things/pump-0002/shadow HTTP/1.1\r\nHost: x\r\nx-api-key: \(key)\r\nContent-Length: \(update.utf8.count)\r\n\r\n\(update)"
        // In one write: a fast read, an update (routed, answered after its commit), then reads
        // that must wait for it and see its version.
        let responses = try RawHTTP.exchange(port: gw.httpPort, get + post + get + get, responses: 4)
        XCTAssertEqual(responses.map(\.status), [200, 200, 200, 200])
        XCTAssertEqual(responses.map { $0.header("ETag") }, ["\"1\"", "\"2\"", "\"2\"", "\"2\""], "in request order")
    }

    func testShadowTargetsTheFastPathTakes() {
        XCTAssertTrue(HotReads.shadowTarget("/things/pump-1/shadow")! == ("pump-1", nil))
        XCTAssertTrue(HotReads.shadowTarget("/things/a:b_c-D/shadow?name=x:y")! == ("a:b_c-D", "x:y"))
        for target in [
            "/things//shadow", "/things/a/shadow/", "/things/a/shadowx", "/things/a/shadow?name=", "/things/a/shadow?x=1",
            "/things/a/shadow?name=b&x=1", "/things/a%2Db/shadow", "/things/a/shadow?name=b%3A", "/things/a/b/shadow", "/health",
        ] {
            XCTAssertNil(HotReads.shadowTarget(target), target)
        }
    }

    func testDateHeaderIsIMFFixdate() {
        XCTAssertEqual(HTTPDateCache.format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(HTTPDateCache.format(1_795_737_600), "Fri, 27 Nov 2026 00:00:00 GMT")
        XCTAssertEqual(HTTPDateCache.format(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    private func fastPathCount(_ gw: TestGateway) async throws -> Double {
        let text = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        return try XCTUnwrap(metricValue(text, "iotgw_http_fast_path_responses_total"), "the counter is exported")
    }
}

/// HTTP/1.1 over a plain socket: what is sent is exactly what the test wrote, and the responses
/// come back as the server wrote them (header order and case included).
private enum RawHTTP {
    struct Response: Equatable {
        var statusLine: String
        var headers: [String]
        var body: [UInt8]

        var status: Int { Int(statusLine.split(separator: " ")[1]) ?? 0 }
        var withoutDate: Response {
            var copy = self
            copy.headers = headers.filter { !$0.lowercased().hasPrefix("date:") }
            return copy
        }

        func header(_ name: String) -> String? {
            for line in headers where line.lowercased().hasPrefix(name.lowercased() + ":") {
                return String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Sends `text` in one write and reads `responses` responses.
    static func exchange(port: Int, _ text: String, responses: Int) throws -> [Response] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure(description: "connect: \(errno)") }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw Failure(description: "short send")
        }
        var buffer: [UInt8] = []
        var parsed: [Response] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while parsed.count < responses {
            if let (response, used) = parse(buffer) {
                parsed.append(response)
                buffer.removeFirst(used)
                continue
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "connection ended after \(parsed.count) responses: \(String(decoding: buffer, as: UTF8.self))") }
            buffer += chunk[0..<n]
        }
        return parsed
    }

    private static func parse(_ buffer: [UInt8]) -> (Response, Int)? {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = buffer.indices.first(where: { buffer[$0...].starts(with: separator) }) else { return nil }
        let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        var response = Response(statusLine: lines[0], headers: Array(lines.dropFirst()), body: [])
        let length = Int(response.header("Content-Length") ?? "0") ?? 0
        let bodyStart = end + 4
        guard buffer.count >= bodyStart + length else { return nil }
        response.body = Array(buffer[bodyStart..<bodyStart + length])
        return (response, bodyStart + length)
    }
}
