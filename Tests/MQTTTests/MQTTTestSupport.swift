import Broker
import Foundation
import MQTT
import XCTest

/// Thread-safe list the handlers of a test append to.
final class Recorder<Element: Sendable>: @unchecked Sendable {
    // `items` is only accessed while `lock` is held.
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    var count: Int { all.count }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes (then fails the test).
func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline {
            XCTFail("Timed out waiting until \(what).", file: file, line: line)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

extension TestBroker {
    /// A configuration for this broker's default user.
    func clientConfiguration(id: String = "", user: (username: String, password: String)? = nil) -> MQTTClient.Configuration {
        let credentials = user ?? users[0]
        return MQTTClient.Configuration(
            host: host, port: port, clientID: id,
            username: credentials.username, password: credentials.password,
            reconnectMinDelay: .milliseconds(100), reconnectMaxDelay: .milliseconds(500),
            connectTimeout: .seconds(5)
        )
    }
}

/// A throw-away CA and a server certificate for 127.0.0.1, made with the openssl command.
struct TestCertificates {
    let caFile: String
    let certFile: String
    let keyFile: String

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        caFile = directory + "/ca.crt"
        certFile = directory + "/server.crt"
        keyFile = directory + "/server.key"
        let san = directory + "/san.cnf"
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: san, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/ca.key", "-out", caFile, "-days", "1", "-subj", "/CN=iotgw-test-ca"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", directory + "/server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", directory + "/server.csr", "-CA", caFile, "-CAkey", directory + "/ca.key", "-CAcreateserial",
             "-out", certFile, "-days", "1", "-extfile", san],
        ]
        for arguments in steps {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments.joined(separator: " ")) failed")
        }
    }
}
