import Gateway
import Hummingbird
import IoTCore

extension GatewayAPI {
    /// `GET /health`: 200 when the broker connection and the database are both up, else 503.
    func addHealthRoutes(to router: Router<APIRequestContext>) {
        router.get("/health") { _, _ -> Response in
            let h = gateway.health()
            let body: JSONValue = [
                "status": .string(h.isHealthy ? "ok" : "degraded"),
                "broker": ["connected": .bool(h.brokerConnected), "mode": .string(h.brokerMode)],
                "database": ["ok": .bool(h.databaseOK)],
                "ingest": ["queueDepth": .int(Int64(h.ingestQueueDepth))],
            ]
            return .json(body, status: h.isHealthy ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: gateway.metricsExposition())))
        }
    }
}
