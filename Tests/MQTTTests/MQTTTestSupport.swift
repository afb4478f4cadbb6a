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
