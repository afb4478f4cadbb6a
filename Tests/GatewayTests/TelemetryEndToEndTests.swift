import Foundation
import GatewayTesting
import IoTCore
import MQTT
import XCTest

final class TelemetryEndToEndTests: XCTestCase {
    /// Issue 3: 1,000 readings from 10 things at QoS 1, each returned by REST exactly once.
    func testEveryReadingIsStoredAndReturnedExactlyOnce() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let things = (0..<10).map { String(format: "pump-%04d", $0) }
        let base = Clock.epochMillis() - 1_000_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, thing) in things.enumerated() {
                group.addTask {
                    let client = try await gw.connectDevice(thing, eventLoop: loop)
                    for seq in 0..<100 {
                        let payload: JSONValue = [
                            "ts": .int(base + Int64(n * 1000 + seq)), "seq": .int(Int64(seq)),
                            "temperature": .double(60 + Double(seq) / 10), "motor": ["rpm": .int(1400 + Int64(seq))],
                        ]
                        try await client.publish(
                            topic: "devices/\(thing)/telemetry", payload: payload.serializedBytes(), qos: .atLeastOnce)
                    }
                    await client.disconnect()
                }
            }
            try await group.waitForAll()
        }

        for thing in things {
            var seqs: [Int64] = []
            let deadline = ContinuousClock.now + .seconds(30)
            repeat {
                seqs = try await allValues(gw, thing: thing, field: "seq")
                if seqs.count >= 100 { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            XCTAssertEqual(seqs.sorted(), (0..<100).map(Int64.init), "readings of \(thing)")
            let rpm = try await allValues(gw, thing: thing, field: "motor.rpm")
            XCTAssertEqual(rpm.count, 100, "nested fields are points named by their dotted path")
        }

        let metrics = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("iotgw_ingest_messages_stored_total 1000"), metrics)
    }

    /// Pages through `GET /things/{thing}/telemetry` with small pages, so paging is exercised.
    func allValues(_ gw: TestGateway, thing: String, field: String) async throws -> [Int64] {
        var values: [Int64] = []
        var token: String?
        var lastTs = Int64.max
        repeat {
            var path = "/things/\(thing)/telemetry?field=\(field)&limit=37"
            if let token { path += "&nextToken=\(token)" }
            let r = try await gw.requestJSON("GET", path)
            XCTAssertEqual(r.status, 200)
            for p in r.json["points"]?.arrayValue ?? [] {
                let ts = p["ts"]!.intValue!
                XCTAssertLessThanOrEqual(ts, lastTs, "points come newest first")
                lastTs = ts
                values.append(p["value"]!.intValue!)
            }
            token = r.json["nextToken"]?.stringValue
        } while token != nil
        return values
    }
}
