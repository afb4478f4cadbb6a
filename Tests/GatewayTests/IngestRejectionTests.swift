import Foundation
import GatewayTesting
import IoTCore
import MQTT
import XCTest

final class IngestRejectionTests: XCTestCase {
    /// Bad payloads are counted by reason and never stall the pipeline.
    func testBadPayloadsAreCountedAndGoodOnesStillFlow() async throws {
        let gw = try await TestGateway.start(extraArguments: [])
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let client = try await gw.connectDevice("pump-0003", eventLoop: loop)
        let topic = "devices/pump-0003/telemetry"
        try await client.publish(topic: topic, payload: Array("not json".utf8), qos: .atLeastOnce)
        try await client.publish(topic: topic, payload: Array("[1,2,3]".utf8), qos: .atLeastOnce)
        try await client.publish(topic: topic, payload: Array("{\"a\":1".utf8), qos: .atLeastOnce)
        let big = "{\"x\":\"" + String(repeating: "a", count: 130 * 1024) + "\"}"
        try await client.publish(topic: topic, payload: Array(big.utf8), qos: .atLeastOnce)
        try await client.publish(topic: topic, payload: Array("{\"temperature\": 42}".utf8), qos: .atLeastOnce)
        await client.disconnect()

        let deadline = ContinuousClock.now + .seconds(20)
        var points: [JSONValue] = []
        while ContinuousClock.now < deadline {
            points = try await gw.requestJSON("GET", "/things/pump-0003/telemetry").json["points"]?.arrayValue ?? []
            if !points.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(points.count, 1)
        XCTAssertEqual(points.first?["field"], "temperature")
        XCTAssertEqual(points.first?["value"]?.doubleValue, 42)

        let metrics = String(decoding: try await gw.request("GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains(#"iotgw_ingest_rejected_total{reason="invalid_json"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"iotgw_ingest_rejected_total{reason="not_object"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"iotgw_ingest_rejected_total{reason="too_large"} 1"#), metrics)
        XCTAssertTrue(gw.logs().contains("pump-0003"), "rejections are logged naming the thing")
    }
}
