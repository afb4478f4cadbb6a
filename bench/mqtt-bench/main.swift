import Broker
import Foundation
import MQTT

// Receive throughput of one MQTTClient on its own event loop, next to mosquitto_sub, with
// `mosquitto_pub -l -q 1` publishers (auth + ACL on, ~50-byte JSON), on a TestBroker.
//   mqtt-bench live  [publishers=4] [lines=65535]  both subscribers listen while publishers send
//   mqtt-bench drain [publishers=4] [lines=65535]  messages queue for offline persistent sessions,
//                                                  then each subscriber drains them alone
let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "live"
let publishers = arguments.count > 2 ? Int(arguments[2]) ?? 4 : 4
// mosquitto_pub -l 2.0.11 stops early past 65,535 lines at QoS 1 (its mid wraps).
let lines = min(arguments.count > 3 ? Int(arguments[3]) ?? 65_535 : 65_535, 65_535)
let total = publishers * lines

/// Counts messages on the loop thread and signals when all have arrived.
final class Arrivals: @unchecked Sendable {
    // `count` and `last` are only written by the event loop thread, and read after `done` fires.
    private(set) var count = 0
    private(set) var last = ContinuousClock.now
    let done = DispatchSemaphore(value: 0)

    func record() {
        count += 1
        if count == total {
            last = ContinuousClock.now
            done.signal()
        }
    }
}

func rate(_ elapsed: Duration) -> Int {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Int(Double(total) / seconds)
}

func command(_ path: String, _ arguments: [String], input: String? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let input { process.standardInput = FileHandle(forReadingAtPath: input) }
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return process
}

// A large queue limit so a lagging subscriber is measured rather than cut off.
let broker = try await TestBroker.start(users: [("gateway", "pw")]) { $0.maxQueuedMessages = 10_000_000 }
let loop = MQTTEventLoop(name: "bench")
let common = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-u", "gateway", "-P", "pw", "-q", "1"]
let linesFile = broker.directory + "/lines.txt"
let line = "{\"device\":\"pump-0001\",\"temp\":21.5,\"seq\":123456}"
try (Array(repeating: line, count: lines).joined(separator: "\n") + "\n").write(toFile: linesFile, atomically: true, encoding: .utf8)

func publishAll() throws {
    let running = try (0..<publishers).map { n in
        try command("/usr/bin/mosquitto_pub", common + ["-t", "bench/\(n)", "-l", "-i", "pub-\(n)"], input: linesFile)
    }
    for process in running { process.waitUntilExit() }
}

var configuration = MQTTClient.Configuration(port: broker.port, clientID: "bench-swift", username: "gateway", password: "pw")
let arrivals = Arrivals()
print("\(total) QoS 1 messages from \(publishers) x mosquitto_pub -l -q 1, mode \(mode)")

if mode == "drain" {
    configuration.cleanSession = false
    let setup = try MQTTClient(configuration: configuration, eventLoop: loop)
    try await setup.connect()
    try await setup.subscribe("bench/#", qos: .atLeastOnce)
    await setup.disconnect()
    try command("/usr/bin/mosquitto_sub", common + ["-t", "bench/#", "-c", "-i", "bench-c", "-E"]).waitUntilExit()
    try publishAll()

    let client = try MQTTClient(configuration: configuration, eventLoop: loop)
    client.onMessage { _ in arrivals.record() }
    let start = ContinuousClock.now
    try await client.connect()
    _ = arrivals.done.wait(timeout: .now() + 120)
    print("MQTTClient:    \(arrivals.count) drained in \(arrivals.last - start): \(rate(arrivals.last - start)) msg/s")
    await client.disconnect()

    let cStart = ContinuousClock.now
    let sub = try command("/usr/bin/mosquitto_sub", common + ["-t", "bench/#", "-c", "-i", "bench-c", "-C", "\(total)", "-W", "120"])
    sub.waitUntilExit()
    let cTime = ContinuousClock.now - cStart
    print("mosquitto_sub: exit \(sub.terminationStatus), drained in \(cTime): \(rate(cTime)) msg/s")
} else {
    let client = try MQTTClient(configuration: configuration, eventLoop: loop)
    client.onMessage { _ in arrivals.record() }
    try await client.connect()
    try await client.subscribe("bench/#", qos: .atLeastOnce)
    let sub = try command("/usr/bin/mosquitto_sub", common + ["-t", "bench/#", "-C", "\(total)", "-W", "120", "-i", "bench-c"])
    try await Task.sleep(for: .milliseconds(500))
    let start = ContinuousClock.now
    try publishAll()
    print("publishers:    done after \(ContinuousClock.now - start): \(rate(ContinuousClock.now - start)) msg/s in")
    sub.waitUntilExit()
    let cTime = ContinuousClock.now - start
    _ = arrivals.done.wait(timeout: .now() + 120)
    print("mosquitto_sub: exit \(sub.terminationStatus), all after \(cTime): \(rate(cTime)) msg/s")
    print("MQTTClient:    \(arrivals.count) received, all after \(arrivals.last - start): \(rate(arrivals.last - start)) msg/s")
    await client.disconnect()
}
loop.shutdown()
await broker.stop()
