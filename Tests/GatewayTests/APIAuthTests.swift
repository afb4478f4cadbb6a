import Foundation
import GatewayTesting
import IoTCore
import XCTest

final class APIAuthTests: XCTestCase {
    func testEveryEndpointButHealthNeedsAKey() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }

        let health = try await gw.request("GET", "/health", authenticated: false)
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(try JSONValue.parse(health.body)["broker"]?["connected"], true)

        for path in ["/things", "/things/pump-0000", "/things/pump-0000/telemetry", "/metrics", "/openapi.json"] {
            let r = try await gw.request("GET", path, authenticated: false)
            XCTAssertEqual(r.status, 401, path)
            XCTAssertNotNil(try JSONValue.parse(r.body)["message"]?.stringValue, "401 carries a JSON error")
            let wrong = try await gw.request("GET", path, headers: ["x-api-key": "nope"], authenticated: false)
            XCTAssertEqual(wrong.status, 401, path)
        }
        let bearer = try await gw.request(
            "GET", "/metrics", headers: ["Authorization": "Bearer \(gw.adminSecret)"], authenticated: false)
        XCTAssertEqual(bearer.status, 200)

        let things = try await gw.requestJSON("GET", "/things")
        XCTAssertEqual(things.json["things"]?.arrayValue?.count, 10)
        XCTAssertEqual(things.json["things"]?[0]?["thingName"], "pump-0000")
        let missing = try await gw.request("GET", "/things/nope")
        XCTAssertEqual(missing.status, 404)

        // OpenAPI lists every route this test used.
        let doc = try await gw.requestJSON("GET", "/openapi.json").json
        for path in ["/health", "/metrics", "/things", "/things/{thing}", "/things/{thing}/telemetry", "/openapi.json"] {
            XCTAssertNotNil(doc["paths"]?[path], "openapi.json documents \(path)")
        }
    }

    func testKeysCreatedAndRevokedWithTheCLI() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let created = try JSONValue.parse(try runIoTGW(["keys", "create", "--data", gw.dataDirectory, "--role", "admin"]))
        let secret = try XCTUnwrap(created["secret"]?.stringValue)
        let keyId = try XCTUnwrap(created["keyId"]?.stringValue)
        let ok = try await gw.request("GET", "/things", headers: ["x-api-key": secret], authenticated: false)
        XCTAssertEqual(ok.status, 200)

        let listed = try runIoTGW(["keys", "list", "--data", gw.dataDirectory])
        XCTAssertTrue(listed.contains(keyId))
        XCTAssertFalse(listed.contains(secret), "secrets are never listed")

        _ = try runIoTGW(["keys", "revoke", keyId, "--data", gw.dataDirectory])
        let deadline = ContinuousClock.now + .seconds(5)
        var status = 200
        while ContinuousClock.now < deadline {
            status = try await gw.request("GET", "/things", headers: ["x-api-key": secret], authenticated: false).status
            if status == 401 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        XCTAssertEqual(status, 401, "a revoked key stops working while the server runs")

        let mode = try FileManager.default.attributesOfItem(atPath: gw.dataDirectory + "/admin.key")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }

    func testThingCredentialsLetADeviceConnect() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let creds = try JSONValue.parse(try runIoTGW(["things", "credentials", "pump-0002", "--data", gw.dataDirectory]))
        XCTAssertEqual(creds["username"], "pump-0002")
        XCTAssertEqual(creds["password"]?.stringValue, try gw.password(for: "pump-0002"))
        XCTAssertThrowsError(try runIoTGW(["things", "credentials", "nope", "--data", gw.dataDirectory]))
    }
}
