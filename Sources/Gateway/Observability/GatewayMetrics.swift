import CoreMetrics
import Prometheus

/// The gateway's Prometheus registry and the instruments ingest and the broker report to.
///
/// Each gateway owns its registry (not the process-wide MetricsSystem) so that several
/// gateways in one test process keep separate figures.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    let received: CoreMetrics.Counter
    let stored: CoreMetrics.Counter
    let pointsStored: CoreMetrics.Counter
    let duplicates: CoreMetrics.Counter
    let ingestLatency: CoreMetrics.Timer
    let queueDepth: CoreMetrics.Gauge
    let mqttConnected: CoreMetrics.Gauge
    /// Sampled at each exposition: what the gateway queued for the broker and has not written yet.
    let linkUnsentBytes: CoreMetrics.Gauge
    let mqttReconnects: CoreMetrics.Counter
    let brokerRestarts: CoreMetrics.Counter
    let storeErrors: CoreMetrics.Counter
    /// HTTP requests answered before Hummingbird's router (`HotReadHandler` in HTTPAPI).
    let httpFastPathResponses: CoreMetrics.Counter

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        f.durationHistogramBuckets["iotgw_ingest_latency_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5),
        ]
        // Rule evaluation takes microseconds; the buckets resolve that range.
        f.durationHistogramBuckets["iotgw_rule_evaluation_seconds"] = [
            .nanoseconds(500), .microseconds(1), .microseconds(2), .microseconds(5), .microseconds(10),
            .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .milliseconds(1),
            .milliseconds(10), .milliseconds(100),
        ]
        factory = f
        received = Counter(label: "iotgw_ingest_messages_received_total", factory: f)
        stored = Counter(label: "iotgw_ingest_messages_stored_total", factory: f)
        pointsStored = Counter(label: "iotgw_ingest_points_stored_total", factory: f)
        duplicates = Counter(label: "iotgw_ingest_duplicates_total", factory: f)
        ingestLatency = Timer(label: "iotgw_ingest_latency_seconds", factory: f)
        queueDepth = Gauge(label: "iotgw_ingest_queue_depth", factory: f)
        mqttConnected = Gauge(label: "iotgw_mqtt_connected", factory: f)
        linkUnsentBytes = Gauge(label: "iotgw_mqtt_unsent_bytes", factory: f)
        mqttReconnects = Counter(label: "iotgw_mqtt_reconnects_total", factory: f)
        brokerRestarts = Counter(label: "iotgw_broker_restarts_total", factory: f)
        storeErrors = Counter(label: "iotgw_ingest_store_errors_total", factory: f)
        httpFastPathResponses = Counter(label: "iotgw_http_fast_path_responses_total", factory: f)
        // Register every reason up front so dashboards see zeros rather than gaps.
        for reason in IngestRejection.allCases { _ = rejected(reason) }
    }

    /// Counts one HTTP response written by the HTTP API's fast path.
    public func countFastPathResponse() { httpFastPathResponses.increment() }

    /// The counter for one rejection reason.
    func rejected(_ reason: IngestRejection) -> CoreMetrics.Counter {
        Counter(label: "iotgw_ingest_rejected_total", dimensions: [("reason", reason.rawValue)], factory: factory)
    }

    /// Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
