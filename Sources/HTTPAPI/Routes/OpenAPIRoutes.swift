import Foundation
import Hummingbird

extension GatewayAPI {
    /// The checked-in OpenAPI 3.1 document, loaded once.
    static let openAPIDocument: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { return Array(#"{"openapi":"3.1.0","info":{"title":"missing","version":"0"}}"#.utf8) }
        return Array(data)
    }()

    func addOpenAPIRoutes(to router: Router<APIRequestContext>) {
        router.get("/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPIDocument)))
        }
    }
}
