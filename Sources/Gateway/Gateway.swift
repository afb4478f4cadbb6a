import Broker
import Devices
import Foundation
import IoTCore
import Logging
import MQTT
import Rules
import Shadows
import Storage

/// The running gateway: broker (embedded or external), the ingest connection, storage
/// and the services the REST API calls. Build it with `start`, end it with `shutdown`.
///
/// One process owns the SQLite file and the embedded broker; scaling past one machine
/// goes through the broker and storage seams DESIGN.md describes.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let database: GatewayDatabase
    public let things: ThingRegistry
    public let telemetry: TelemetryStore
    public let apiKeys: APIKeyStore
    public let shadows: ShadowService
    /// The rules engine: rules from the rules folder and the REST API.
    public let rules: RuleEngine
    public let metrics: GatewayMetrics
    public let catalog: DeviceCatalog
    /// The admin key from `DATA/admin.key`.
    public let adminKey: AdminKeyFile.Contents
    /// The MQTT endpoint devices connect to (the chosen port when configured as 0).
    public let mqttHost: String
    public let mqttPort: Int

    let logger: Logger
    let broker: BrokerSupervisor?
    let ingestClient: MQTTLink
    let ingest: TelemetryIngest
    let connected = LockedValue(false)
    /// The last database probe and when it ran (monotonic ns): a load balancer polling
    /// `/health` should not cost a SQLite read per request.
    let databaseProbe = LockedValue<(ok: Bool, at: UInt64)?>(nil)
    let stopped = LockedValue(false)
    /// What the gateway's connection subscribes to; pairwise disjoint.
    let subscriptions: [String]
    /// One filter per device type's telemetry topic.
    let telemetryFilters: [String]

    /// Opens storage, loads `devices/`, starts or reaches the broker, connects and
    /// subscribes. Returns once messages flow. Errors a user can fix are `GatewayStartError`.
    public static func start(configuration: GatewayConfiguration, logger: Logger) async throws -> Gateway {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw GatewayStartError("cannot create the data directory \(configuration.dataDirectory): \(error.localizedDescription)")
        }
        let catalog: DeviceCatalog
        if fm.fileExists(atPath: configuration.devicesDirectory) {
            do { catalog = try DeviceCatalog.load(directory: configuration.devicesDirectory) } catch {
                throw GatewayStartError("\(error)")
            }
        } else {
            logger.warning("No devices directory; no things are registered", metadata: ["devices": "\(configuration.devicesDirectory)"])
            catalog = DeviceCatalog(deviceTypes: [:], fleets: [])
        }
        let database = try GatewayDatabase(path: configuration.databasePath)
        let registry = ThingRegistry(database: database)
        let specs = catalog.things()
        let synced = try registry.sync(with: specs)
        logger.info(
            "Registered things from devices/",
            metadata: ["things": "\(specs.count)", "added": "\(synced.added)", "removed": "\(synced.removed)"])
        let keys = try APIKeyStore(database: database)
        let admin = try AdminKeyFile.ensure(path: configuration.adminKeyPath, keys: keys)
        if admin.created {
            Console.line(
                """
                Created the admin API key (shown once; also in \(configuration.adminKeyPath), mode 0600):
                  keyId:  \(admin.key.keyId)
                  secret: \(admin.key.secret)
                """)
        }
        let deviceKey = try DeviceCredentials.loadOrCreateKey(dataDirectory: configuration.dataDirectory)
        let metrics = GatewayMetrics()

        let endpoint = try await BrokerEndpoint.resolve(
            configuration: configuration, catalog: catalog, deviceKey: deviceKey, metrics: metrics, logger: logger)
        Console.line("MQTT broker listening on \(endpoint.host):\(endpoint.port) (\(endpoint.broker == nil ? "external" : "embedded"))")

        // The gateway's one busy connection is an `MQTTLink`, not libmosquitto: it reads in
        // large chunks, writes acks and publishes in batches, and acknowledges a message only
        // after it was handed over (see `MQTTLink`).
        var clientConfig = MQTTLink.Configuration()
        clientConfig.host = endpoint.linkHost
        clientConfig.port = endpoint.linkPort
        clientConfig.tls = endpoint.linkTLS
        clientConfig.protocolVersion = endpoint.linkMQTT5 ? .v5 : .v311
        clientConfig.clientID = endpoint.clientID
        clientConfig.username = endpoint.username
        clientConfig.password = endpoint.password
        // A persistent session: while the gateway restarts, the broker keeps queuing
        // QoS 1 messages for it instead of dropping them.
        clientConfig.cleanSession = false
        clientConfig.maxInflight = 1000
        // Under load, up to 0.5 ms more latency per message buys several packets per syscall.
        clientConfig.coalescingDelay = .microseconds(500)
        let client = MQTTLink(configuration: clientConfig, logger: logger)

        let ingest = TelemetryIngest(
            things: specs, store: TelemetryStore(database: database), metrics: metrics,
            configuration: configuration, logger: logger)
        let shadows = ShadowService(store: ShadowStore(database: database), logger: logger)
        shadows.publisher.set(client)
        let feed = OwnMessageFeed(isEnabled: endpoint.linkMQTT5, metrics: metrics, log: RateLimitedLogger(logger: logger))
        let rules = RuleEngine(
            rulesDirectory: configuration.rulesDirectory, store: RuleStore(database: database), metrics: metrics,
            client: client, feed: feed, shadows: shadows, logger: logger)
        // Shadow documents the gateway publishes reach rules here, not through the broker: a
        // broker subscription on `$aws/...` would also deliver shadow requests a second time.
        shadows.documentsObserver.set { [rules] topic, payload in
            rules.handle(topic: topic, payload: payload, parsed: try? JSONValue.parse(payload), clientId: nil)
        }
        let gateway = Gateway(
            configuration: configuration, database: database, registry: registry, keys: keys, metrics: metrics,
            catalog: catalog, adminKey: admin.key, endpoint: endpoint, logger: logger,
            client: client, ingest: ingest, shadows: shadows, rules: rules)
        ingest.start()
        shadows.start()
        do { try rules.load() } catch {
            await gateway.shutdown()
            throw GatewayStartError("cannot read the rules stored in \(configuration.databasePath): \(error)")
        }
        feed.connect(
            route: { [gateway] message in gateway.route(message, own: true) },
            generation: { [gateway] in gateway.routingGeneration },
            // On the link thread the link's `onBatchEnd` hands ingested telemetry over; elsewhere now.
            afterRouting: { [client, ingest] in if !client.isCurrentThread { ingest.endOfBatch() } })
        client.onMessage { [gateway] message in gateway.route(message) }
        client.onBatchEnd { [ingest] in ingest.endOfBatch() }
        client.onConnectionEvent { [gateway] event in gateway.connectionChanged(event) }
        do {
            try await client.connect()
            for filter in gateway.subscriptions {
                try await client.subscribe(filter, qos: .atLeastOnce, noLocal: filter == "#" && feed.isEnabled)
            }
        } catch {
            await gateway.shutdown()
            throw GatewayStartError("cannot use the MQTT broker at \(clientConfig.brokerAddress): \(error)")
        }
        logger.info("Ingest subscribed", metadata: ["filters": "\(gateway.subscriptions)"])
        // Until mosquitto autosaves, a crash of it would forget the gateway's session, and what
        // devices publish after its restart but before the gateway subscribes again would be lost.
        gateway.broker?.persistNow()
        rules.startWatching()
        return gateway
    }

    private init(
        configuration: GatewayConfiguration, database: GatewayDatabase, registry: ThingRegistry, keys: APIKeyStore,
        metrics: GatewayMetrics, catalog: DeviceCatalog, adminKey: AdminKeyFile.Contents, endpoint: BrokerEndpoint,
        logger: Logger, client: MQTTLink, ingest: TelemetryIngest, shadows: ShadowService,
        rules: RuleEngine
    ) {
        self.configuration = configuration
        self.database = database
        self.things = registry
        self.telemetry = TelemetryStore(database: database)
        self.apiKeys = keys
        self.metrics = metrics
        self.catalog = catalog
        self.adminKey = adminKey
        self.mqttHost = endpoint.host
        self.mqttPort = endpoint.port
        self.logger = logger
        self.broker = endpoint.broker
        self.ingestClient = client
        self.ingest = ingest
        self.shadows = shadows
        self.rules = rules
        // The rules engine sees every message, so ingest takes `#`. Mosquitto delivers a
        // message once per matching subscription, so the filters must not overlap: `#`
        // never matches `$aws/...` (MQTT spec; notes/mosquitto.md), hence the shadow
        // request topics are subscribed explicitly (and not as shared subscriptions).
        self.telemetryFilters = Array(Set(catalog.deviceTypes.values.map(\.telemetryTopicFilter))).sorted()
        self.subscriptions = ["#"] + ShadowTopic.requestFilters
    }

    /// Called on the MQTT link thread for every incoming message, and by `OwnMessageFeed` (`own`)
    /// for messages the gateway republished itself. False when nothing took the message: no
    /// shadow, thing or telemetry topic and no rule (the same is true for its topic until
    /// `routingGeneration` changes).
    @discardableResult
    func route(_ message: MQTTMessage, own: Bool = false) -> Bool {
        if !own { metrics.received.increment() }
        if message.topic.hasPrefix("$aws/things/"), shadows.handleMQTT(topic: message.topic, payload: message.payload) {
            // The broker ACL makes a device's client id its thing name, the only one allowed on its shadow topics.
            rules.handle(
                topic: message.topic, payload: message.payload, parsed: try? JSONValue.parse(message.payload),
                clientId: RuleEngine.shadowThing(message.topic))
            return true
        }
        let thing = ingest.thing(forTopic: message.topic)
        let receivedAt = thing == nil ? 0 : Clock.epochMillis()
        var taken = thing != nil
        if thing == nil, telemetryFilters.contains(where: { Topic.matches(filter: $0, topic: message.topic) }) {
            ingest.reject(.unknownThing, thing: nil, topic: message.topic)
            taken = true
        }
        // Parse at most once, and on this thread only when a rule matches: telemetry is
        // otherwise parsed by the writer thread, which keeps this loop thread free to read.
        var parsed: JSONValue??
        func parse() -> JSONValue? {
            if let p = parsed { return p }
            let p = message.payload.count > configuration.maxPayloadBytes ? nil : try? JSONValue.parse(message.payload)
            parsed = .some(p)
            return p
        }
        if rules.handle(topic: message.topic, payload: message.payload, parsed: parse(), clientId: thing) { taken = true }
        if let thing {
            ingest.accept(thing: thing, topic: message.topic, payload: message.payload, parsed: parsed ?? nil, receivedAt: receivedAt)
        }
        return taken
    }

    /// Changes whenever what `route` does with a topic may change (rules or things changed).
    var routingGeneration: Int { rules.generation &+ ingest.generation }

    func connectionChanged(_ event: MQTTConnectionEvent) {
        switch event {
        case .connected(let sessionPresent):
            connected.set(true)
            metrics.mqttConnected.record(1)
            logger.info("Connected to the broker", metadata: ["sessionPresent": "\(sessionPresent)"])
            if !sessionPresent, let broker {
                // The broker lost the session (a restart before it saved it): the link subscribes
                // again; save that as soon as the SUBACKs are in.
                Task {
                    try? await Task.sleep(for: .seconds(1))
                    broker.persistNow()
                }
            }
        case .disconnected(let reason):
            connected.set(false)
            metrics.mqttConnected.record(0)
            logger.warning("Lost the broker connection", metadata: ["reason": "\(reason)"])
        case .reconnecting(let attempt, let delay):
            metrics.mqttReconnects.increment()
            logger.info("Reconnecting to the broker", metadata: ["attempt": "\(attempt)", "delay": "\(delay)"])
        case .closed:
            connected.set(false)
            metrics.mqttConnected.record(0)
        }
    }

    public func health() -> GatewayHealth {
        GatewayHealth(
            brokerConnected: connected.get(), brokerMode: broker == nil ? "external" : "embedded",
            databaseOK: databaseIsHealthy(), ingestQueueDepth: ingest.queueDepth)
    }

    func databaseIsHealthy() -> Bool {
        let now = Clock.monotonicNanos()
        if let p = databaseProbe.get(), now - p.at < 1_000_000_000 { return p.ok }
        let ok = database.isHealthy()
        databaseProbe.set((ok, now))
        return ok
    }

    /// Prometheus text exposition, with gauges sampled now.
    public func metricsExposition() -> [UInt8] {
        metrics.queueDepth.record(ingest.queueDepth)
        metrics.linkUnsentBytes.record(ingestClient.unsentBytes)
        return metrics.exposition()
    }

    /// Waits until every message received so far is committed (tests and benchmarks).
    public func flush() {
        ingest.flush()
        shadows.flush()
    }

    /// Stops receiving, commits everything queued, then stops the embedded broker.
    /// Safe to call more than once; later calls return at once.
    public func shutdown() async {
        let already = stopped.withLock { s in
            defer { s = true }
            return s
        }
        if already { return }
        // Stop new work, finish what was received (shadow responses still need the
        // connection), then disconnect and close the queues.
        for filter in subscriptions { try? await ingestClient.unsubscribe(filter) }
        flush()
        // Actions publish through the connection, so rules stop before it closes.
        rules.stop()
        await ingestClient.disconnect()
        ingest.close()
        shadows.close()
        if let broker { await broker.stop() }
        logger.info("Gateway stopped")
    }
}
