import Gateway
import Hummingbird
import IoTCore

extension GatewayAPI {
    /// `GET /health`'s answer.
    func healthResponse() -> PlainResponse {
        let h = gateway.health()
        let body: JSONValue = [
            "status": .string(h.isHealthy ? "ok" : "degraded"),
            "broker": ["connected": .bool(h.brokerConnected), "mode": .string(h.brokerMode)],
            "database": ["ok": .bool(h.databaseOK)],
            "ingest": ["queueDepth": .int(Int64(h.ingestQueueDepth))],
        ]
        return PlainResponse(
            status: h.isHealthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: body.serializedBytes()))
    }

    /// `GET /health`: 200 when the broker connection and the database are both up, else 503.
    func addHealthRoutes(to router: Router<APIRequestContext>) {
        // Usually answered by `HotReadHandler` before it gets here; the same answer either way.
        router.get("/health") { _, _ -> Response in healthResponse().response }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: gateway.metricsExposition())))
        }
    }
}
