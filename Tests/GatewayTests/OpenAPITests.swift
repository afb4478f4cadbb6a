import Foundation
import Gateway
import GatewayTesting
import HTTPAPI
import IoTCore
import Logging
import XCTest

/// `/openapi.json` documents every route the router has, with its methods, and nothing it lacks.
final class OpenAPITests: XCTestCase {
    func testTheDocumentListsExactlyTheRoutersRoutes() async throws {
        let root = try makeTemporaryDirectory(prefix: "iotgw-openapi")
        var configuration = GatewayConfiguration()
        configuration.dataDirectory = root + "/data"
        configuration.devicesDirectory = root + "/devices"
        configuration.rulesDirectory = root + "/rules"
        configuration.mqttPort = 0
        configuration.httpPort = 0
        let gateway = try await Gateway.start(configuration: configuration, logger: Logger(label: "openapi-test"))
        let routes = Set(GatewayAPI(gateway: gateway).makeRouter().routes.map { route in
            // Hummingbird writes parameters as `:name`, OpenAPI as `{name}`.
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
        })
        await gateway.shutdown()

        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/HTTPAPI/openapi.json")
        let document = try JSONValue.parse(Array(try Data(contentsOf: source)))
        var documented: Set<String> = []
        for (path, item) in try XCTUnwrap(document["paths"]?.objectValue) {
            for method in try XCTUnwrap(item.objectValue).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        XCTAssertEqual(routes.subtracting(documented).sorted(), [], "routes missing from openapi.json")
        XCTAssertEqual(documented.subtracting(routes).sorted(), [], "openapi.json documents routes the router lacks")
    }
}
