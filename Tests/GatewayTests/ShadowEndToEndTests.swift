import Foundation
import GatewayTesting
import IoTCore
import MQTT
import XCTest

/// Collects messages a client receives, for assertions with deadlines.
final class Inbox: Sendable {
    let messages = LockedValue<[MQTTMessage]>([])

    init(_ client: MQTTClient) {
        client.onMessage { [messages] m in messages.withLock { $0.append(m) } }
    }

    /// Waits until `count` messages arrived on `topic`; returns them.
    func wait(for topic: String, count: Int = 1, timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let got = messages.get().filter { $0.topic == topic }
            if got.count >= count { return try got.map { try JSONValue.parse($0.payload) } }
            if ContinuousClock.now > deadline {
                XCTFail("expected \(count) message(s) on \(topic); got \(got.count); all topics: \(messages.get().map(\.topic))")
                return try got.map { try JSONValue.parse($0.payload) }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func count(_ topic: String) -> Int { messages.get().filter { $0.topic == topic }.count }
}

final class ShadowEndToEndTests: XCTestCase {
    func testUpdateGetDeleteOverMQTT() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0001", eventLoop: loop)
        let inbox = Inbox(device)
        let prefix = "$aws/things/pump-0001/shadow"
        for suffix in ["update/accepted", "update/rejected", "update/delta", "update/documents", "get/accepted",
                       "get/rejected", "delete/accepted", "delete/rejected"] {
            try await device.subscribe("\(prefix)/\(suffix)", qos: .atLeastOnce)
        }

        try await device.publish(topic: "\(prefix)/get", payload: Array(#"{"clientToken":"g0"}"#.utf8), qos: .atLeastOnce)
        let notFound = try await inbox.wait(for: "\(prefix)/get/rejected")
        XCTAssertEqual(notFound.first?["code"], 404)
        XCTAssertEqual(notFound.first?["clientToken"], "g0")

        try await device.publish(
            topic: "\(prefix)/update", payload: Array(#"{"state":{"desired":{"speed":5},"reported":{"speed":3}},"clientToken":"u1"}"#.utf8),
            qos: .atLeastOnce)
        let accepted = try await inbox.wait(for: "\(prefix)/update/accepted")
        XCTAssertEqual(accepted.first?["version"], 1)
        XCTAssertEqual(accepted.first?["clientToken"], "u1")
        let delta = try await inbox.wait(for: "\(prefix)/update/delta")
        XCTAssertEqual(delta.first?["state"], ["speed": 5])
        XCTAssertEqual(delta.first?["version"], 1)
        let docs = try await inbox.wait(for: "\(prefix)/update/documents")
        XCTAssertEqual(docs.first?["current"]?["state"]?["reported"], ["speed": 3])

        // Reported catches up: accepted and documents, but no delta.
        try await device.publish(topic: "\(prefix)/update", payload: Array(#"{"state":{"reported":{"speed":5}}}"#.utf8), qos: .atLeastOnce)
        _ = try await inbox.wait(for: "\(prefix)/update/documents", count: 2)
        XCTAssertEqual(inbox.count("\(prefix)/update/delta"), 1)

        try await device.publish(topic: "\(prefix)/update", payload: Array(#"{"state":{"reported":"x"}}"#.utf8), qos: .atLeastOnce)
        let rejected = try await inbox.wait(for: "\(prefix)/update/rejected")
        XCTAssertEqual(rejected.first?["code"], 400)
        XCTAssertEqual(rejected.first?["message"], "Reported node must be an object")

        try await device.publish(topic: "\(prefix)/get", payload: [], qos: .atLeastOnce)
        let got = try await inbox.wait(for: "\(prefix)/get/accepted")
        XCTAssertEqual(got.first?["version"], 2)
        XCTAssertEqual(got.first?["state"]?["reported"], ["speed": 5])

        try await device.publish(topic: "\(prefix)/delete", payload: [], qos: .atLeastOnce)
        let deleted = try await inbox.wait(for: "\(prefix)/delete/accepted")
        XCTAssertEqual(deleted.first?["version"], 2)

        // Re-created later, the version continues.
        try await device.publish(topic: "\(prefix)/update", payload: Array(#"{"state":{"reported":{"on":true}}}"#.utf8), qos: .atLeastOnce)
        let again = try await inbox.wait(for: "\(prefix)/update/accepted", count: 3)
        XCTAssertEqual(again.last?["version"], 3)

        // A device may not touch another thing's shadow (ACL): nothing happens to it.
        try await device.publish(topic: "$aws/things/pump-0002/shadow/update", payload: Array(#"{"state":{"reported":{"x":1}}}"#.utf8), qos: .atLeastOnce)
        try await Task.sleep(for: .milliseconds(300))
        let other = try await gw.request("GET", "/things/pump-0002/shadow")
        XCTAssertEqual(other.status, 404)
        await device.disconnect()
    }

    func testRESTPathsErrorsETagAndNamedShadows() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0004", eventLoop: loop)
        let inbox = Inbox(device)
        try await device.subscribe("$aws/things/pump-0004/shadow/update/delta", qos: .atLeastOnce)
        try await device.subscribe("$aws/things/pump-0004/shadow/name/cfg/update/documents", qos: .atLeastOnce)

        let missing = try await gw.request("GET", "/things/pump-0004/shadow")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.headers["x-amzn-errortype"], "ResourceNotFoundException")

        let up = try await gw.requestJSON("POST", "/things/pump-0004/shadow", body: ["state": ["desired": ["mode": "eco"]]])
        XCTAssertEqual(up.status, 200)
        XCTAssertEqual(up.json["version"], 1)
        let delta = try await inbox.wait(for: "$aws/things/pump-0004/shadow/update/delta")
        XCTAssertEqual(delta.first?["state"]?["mode"], "eco", "a REST update publishes the delta over MQTT")

        let get = try await gw.request("GET", "/things/pump-0004/shadow")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.headers["etag"], "\"1\"")
        XCTAssertEqual(try JSONValue.parse(get.body)["state"]?["delta"]?["mode"], "eco")
        let cached = try await gw.request("GET", "/things/pump-0004/shadow", headers: ["If-None-Match": "\"1\""])
        XCTAssertEqual(cached.status, 304)
        // GET documents are rendered once per version and second: an update within that second shows at once.
        let reported = try await gw.requestJSON("POST", "/things/pump-0004/shadow", body: ["state": ["reported": ["mode": "eco"]]])
        XCTAssertEqual(reported.json["version"], 2)
        let fresh = try await gw.request("GET", "/things/pump-0004/shadow")
        XCTAssertEqual(fresh.headers["etag"], "\"2\"")
        XCTAssertEqual(try JSONValue.parse(fresh.body)["state"]?["reported"]?["mode"], "eco")
        XCTAssertNil(try JSONValue.parse(fresh.body)["state"]?["delta"], "desired and reported agree now")

        let conflict = try await gw.requestJSON("POST", "/things/pump-0004/shadow", body: ["state": ["reported": ["a": 1]], "version": 7])
        XCTAssertEqual(conflict.status, 409)
        XCTAssertEqual(conflict.json["message"], "Version conflict")
        for (body, code, message) in [
            ("not json", 400, "Invalid JSON"), (#"{"version":1}"#, 400, "Missing required node: state"),
            (#"{"state":{"desired":[1]}}"#, 400, "Desired node must be an object"),
        ] {
            let r = try await gw.request("POST", "/things/pump-0004/shadow", body: Array(body.utf8))
            XCTAssertEqual(r.status, code, body)
            XCTAssertEqual(try JSONValue.parse(r.body)["message"]?.stringValue, message, body)
        }
        let badName = try await gw.request("GET", "/things/bad%20name/shadow")
        XCTAssertEqual(badName.status, 400)

        for name in ["cfg", "fw", "alarm"] {
            let r = try await gw.requestJSON("POST", "/things/pump-0004/shadow?name=\(name)", body: ["state": ["reported": ["n": .string(name)]]])
            XCTAssertEqual(r.status, 200)
        }
        _ = try await inbox.wait(for: "$aws/things/pump-0004/shadow/name/cfg/update/documents")
        let page1 = try await gw.requestJSON("GET", "/api/things/shadow/ListNamedShadowsForThing/pump-0004?pageSize=2")
        XCTAssertEqual(page1.json["results"], ["alarm", "cfg"])
        let token = try XCTUnwrap(page1.json["nextToken"]?.stringValue)
        let page2 = try await gw.requestJSON("GET", "/api/things/shadow/ListNamedShadowsForThing/pump-0004?pageSize=2&nextToken=\(token)")
        XCTAssertEqual(page2.json["results"], ["fw"])
        XCTAssertNil(page2.json["nextToken"])

        let del = try await gw.requestJSON("DELETE", "/things/pump-0004/shadow?name=fw")
        XCTAssertEqual(del.status, 200)
        XCTAssertEqual(del.json["version"], 1)
        let list = try await gw.requestJSON("GET", "/api/things/shadow/ListNamedShadowsForThing/pump-0004")
        XCTAssertEqual(list.json["results"], ["alarm", "cfg"])
        await device.disconnect()
    }

    /// Concurrent MQTT and REST updates of one shadow: versions strictly increasing with no
    /// gaps, one `documents` message per accepted update, and the state survives a restart.
    func testConcurrentUpdatesAreSerializedAndPersisted() async throws {
        let gw = try await TestGateway.start()
        let loop = MQTTEventLoop()
        defer { loop.shutdown() }
        let device = try await gw.connectDevice("pump-0007", eventLoop: loop)
        let inbox = Inbox(device)
        let prefix = "$aws/things/pump-0007/shadow"
        try await device.subscribe("\(prefix)/update/documents", qos: .atLeastOnce)
        try await device.subscribe("\(prefix)/update/accepted", qos: .atLeastOnce)

        let perSide = 100
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 0..<perSide {
                    try await device.publish(
                        topic: "\(prefix)/update", payload: Array(#"{"state":{"reported":{"mqtt":\#(i)}}}"#.utf8),
                        qos: .atLeastOnce)
                }
            }
            group.addTask {
                for i in 0..<perSide {
                    let r = try await gw.requestJSON("POST", "/things/pump-0007/shadow", body: ["state": ["desired": ["rest": .int(Int64(i))]]])
                    XCTAssertEqual(r.status, 200)
                }
            }
            try await group.waitForAll()
        }
        let docs = try await inbox.wait(for: "\(prefix)/update/documents", count: 2 * perSide, timeout: .seconds(30))
        let versions = docs.compactMap { $0["current"]?["version"]?.intValue }
        XCTAssertEqual(versions, Array(1...Int64(2 * perSide)), "versions strictly increasing, no gaps, one documents each")
        for d in docs.dropFirst() {
            XCTAssertEqual(d["previous"]?["version"]?.intValue, (d["current"]?["version"]?.intValue ?? 0) - 1)
        }
        await device.disconnect()
        let status = try await gw.stop()
        XCTAssertEqual(status, 0)

        let again = try await TestGateway.start(dataDirectory: gw.dataDirectory)
        defer { Task { try? await again.stop() } }
        let r = try await again.requestJSON("GET", "/things/pump-0007/shadow")
        XCTAssertEqual(r.json["version"]?.intValue, Int64(2 * perSide))
        XCTAssertEqual(r.json["state"]?["reported"]?["mqtt"], .int(Int64(perSide - 1)))
        XCTAssertEqual(r.json["state"]?["desired"]?["rest"], .int(Int64(perSide - 1)))
    }
}
