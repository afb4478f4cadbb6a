import CoreMetrics
import Foundation
import IoTCore
import Logging
import MQTT
import Rules
import Shadows
import Storage
import Synchronization

/// Runs the rules on every message the gateway receives: finds the rules whose FROM filter
/// matches through a topic index, evaluates WHERE and SELECT, and fires the actions.
/// Rules come from the watched rules folder and from the REST API (stored in SQLite).
public final class RuleEngine: Sendable {
    /// The snapshot messages are evaluated against; replaced whole on every change.
    private let current = LockedValue(RuleSet.empty)
    /// Rule sources; held while a change is applied so rebuilds never interleave.
    private let sources: Mutex<Sources>
    private let store: RuleStore
    private let metrics: GatewayMetrics
    private let log: RateLimitedLogger
    private let environment: RuleEnvironment
    private let factory: RuleActionFactory
    private let loader: RuleFileLoader
    private let client: MQTTLink
    private let watcher: LockedValue<RuleDirectoryWatcher?> = LockedValue(nil)
    private let loadErrors: CoreMetrics.Counter
    private let activeRules: CoreMetrics.Gauge
    /// Extra subscriptions for rule filters on `$` topics (`#` does not match them).
    private let dollarSubscriptions = LockedValue<Set<String>>([])
    /// False until the connection is up (subscribing earlier would fail).
    private let subscribing = LockedValue(false)
    private let generationCounter = Atomic<Int>(0)

    struct Sources: Sendable {
        var files: RuleFileSet
        /// REST rules by name: the stored row and its definition (nil if it no longer loads).
        var api: [String: (row: StoredRule, definition: RuleDefinition?, errors: [String])] = [:]
        /// When each file rule was first seen, for `createdAt`.
        var fileSeen: [String: Int64] = [:]
        /// File diagnostics already reported, so an unchanged broken file is not reported again.
        var reported: Set<RuleDiagnostic> = []
    }

    init(
        rulesDirectory: String, store: RuleStore, metrics: GatewayMetrics, client: MQTTLink, feed: OwnMessageFeed,
        shadows: ShadowService, logger: Logger
    ) {
        let loader = RuleFileLoader(registry: .standard)
        self.loader = loader
        self.sources = Mutex(Sources(files: RuleFileSet(directory: rulesDirectory, loader: loader)))
        self.store = store
        self.metrics = metrics
        self.client = client
        self.log = RateLimitedLogger(logger: logger)
        self.environment = RuleEnvironment(getThingShadow: { thing, name in
            let key = try ShadowKey(thingName: thing, shadowName: name)
            guard case .accepted(let body, _) = ShadowService.get(stored: shadows.current(key), key: key, payload: []) else {
                return nil
            }
            return try JSONValue.parse(body)
        })
        self.loadErrors = Counter(label: "iotgw_rules_load_errors_total", factory: metrics.factory)
        self.activeRules = Gauge(label: "iotgw_rules_active", factory: metrics.factory)
        var f = RuleActionFactory()
        let log = self.log
        f.register("republish") { (p) throws(RuleSQLError) in
            RepublishRuleAction(
                action: try RepublishAction(p), client: client, feed: feed,
                onLoop: { rule, topic in
                    Counter(label: "iotgw_rule_republish_loops_total", dimensions: [("rule", rule)], factory: metrics.factory).increment()
                    log.warning(
                        key: "loop-" + rule,
                        "A rule republishes onto a topic its own FROM filter matches; each republished message fires it again.",
                        metadata: ["rule": "\(rule)", "topic": "\(topic)"])
                })
        }
        self.factory = f
    }

    /// Loads the REST rules and the rules folder; call before messages flow.
    func load() throws {
        let rows = try store.all()
        sources.withLock { s in
            for row in rows { s.api[row.name] = Self.compile(row, loader: loader) }
            _ = s.files.refresh()
        }
        rebuild()
    }

    /// Once connected: subscribes what rules on `$` topics need and watches the folder.
    func startWatching(pollInterval: Duration = .milliseconds(200)) {
        subscribing.set(true)
        updateDollarSubscriptions(current.get().infos)
        let w = RuleDirectoryWatcher(interval: pollInterval) { [weak self] in self?.poll() }
        watcher.set(w)
        w.start()
    }

    /// Stops watching the folder. Actions run synchronously when a rule fires, so nothing is pending.
    func stop() {
        watcher.withLock { w in
            w?.stop()
            w = nil
        }
    }

    private func poll() {
        let changed = sources.withLock { $0.files.refresh() }
        if changed { rebuild() }
    }

    // MARK: - Messages

    /// Evaluates every enabled rule whose filter matches `topic` and fires its actions; false when
    /// none matches. `parsed` is only evaluated when some rule matches. Thread-safe; does not block.
    @discardableResult
    func handle(topic: String, payload: [UInt8], parsed: @autoclosure () -> JSONValue?, clientId: String?) -> Bool {
        let set = current.get()
        let matched = set.index.match(topic)
        if matched.isEmpty { return false }
        let message = RuleMessage(topic: topic, payload: parsed(), rawPayload: payload, clientId: clientId, principal: clientId)
        for rule in matched { run(rule, message) }
        return true
    }

    /// Changes whenever the set of rules in force does (a topic that matched none may match now).
    var generation: Int { generationCounter.load(ordering: .acquiring) }

    private func run(_ rule: ActiveRule, _ message: RuleMessage) {
        rule.metrics.matched.increment()
        let start = Clock.monotonicNanos()
        let output: [UInt8]
        do {
            guard let bytes = try rule.compiled.evaluatePayload(message, environment: environment) else {
                rule.metrics.evaluation.recordNanoseconds(Int64(Clock.monotonicNanos() &- start))
                return
            }
            output = bytes
        } catch {
            rule.metrics.evaluation.recordNanoseconds(Int64(Clock.monotonicNanos() &- start))
            rule.metrics.evaluationErrors.increment()
            report(
                rule, message,
                [RuleErrorReport.Failure(failedAction: "SQL", failedResource: rule.compiled.topicFilter, errorMessage: error.description)])
            return
        }
        rule.metrics.evaluation.recordNanoseconds(Int64(Clock.monotonicNanos() &- start))
        rule.metrics.wherePassed.increment()
        let context = RuleActionContext(ruleName: rule.name, rule: rule.compiled, message: message, environment: environment)
        var failures: [RuleErrorReport.Failure] = []
        for action in rule.actions {
            do {
                try action.perform(payload: output, context: context)
                rule.metrics.actionsFired.increment()
            } catch {
                rule.metrics.actionErrors.increment()
                failures.append(.init(failedAction: action.kind, failedResource: error.resource, errorMessage: error.message))
            }
        }
        if !failures.isEmpty { report(rule, message, failures) }
    }

    /// Sends AWS's error-action document to the rule's errorAction, or logs when it has none.
    private func report(_ rule: ActiveRule, _ message: RuleMessage, _ failures: [RuleErrorReport.Failure]) {
        let document = RuleErrorReport(ruleName: rule.name, message: message, failures: failures)
        guard !rule.errorActions.isEmpty else {
            log.warning(
                key: "error-" + rule.name, "A rule failed and has no errorAction: \(failures.map(\.errorMessage).joined(separator: " "))",
                metadata: ["rule": "\(rule.name)", "topic": "\(message.topic)"])
            return
        }
        let payload = document.json.serializedBytes()
        let context = RuleActionContext(ruleName: rule.name, rule: rule.compiled, message: message, environment: environment)
        for action in rule.errorActions {
            do {
                try action.perform(payload: payload, context: context)
            } catch {
                rule.metrics.errorActionFailures.increment()
                log.warning(
                    key: "erroraction-" + rule.name, "A rule's errorAction failed too: \(error.message)",
                    metadata: ["rule": "\(rule.name)", "resource": "\(error.resource)"])
            }
        }
    }

    // MARK: - Snapshot

    /// Merges file and REST rules into a new snapshot and swaps it in.
    private func rebuild() {
        sources.withLock { s in
            let now = Clock.epochMillis()
            let (fileRules, diagnostics) = s.files.merged()
            var infos: [String: RuleInfo] = [:]
            var errorsByRule: [String: [String]] = [:]
            var errorsByFile: [String: [String]] = [:]
            for d in diagnostics {
                if let name = d.ruleName { errorsByRule[name, default: []].append(d.formatted()) }
                else { errorsByFile[d.file, default: []].append(d.formatted()) }
            }
            let fresh = diagnostics.filter { !s.reported.contains($0) }
            for d in fresh {
                loadErrors.increment()
                log.logger.error("Rule file error: \(d.formatted())", metadata: ["rule": "\(d.ruleName ?? "-")"])
            }
            s.reported = Set(diagnostics)

            // A file rule whose name a REST rule already has does not load: the REST rule keeps
            // running (it is stored data; the file is easy to rename) and shows the conflict.
            var conflicts: [String: String] = [:]
            for rule in fileRules {
                let location = rule.location
                if s.api[rule.name] != nil {
                    let message =
                        "\(location): error: The rule name '\(rule.name)' is already used by a rule created over the REST API; rename the rule in the file or delete the REST rule."
                    conflicts[rule.name] = message
                    log.logger.error("Rule file error: \(message)", metadata: ["rule": "\(rule.name)"])
                    continue
                }
                if s.fileSeen[rule.name] == nil { s.fileSeen[rule.name] = now }
                let stale = s.files.isStale(rule.name, file: location.file)
                var errors = errorsByRule[rule.name] ?? []
                if stale { errors += errorsByFile[location.file] ?? [] }
                infos[rule.name] = RuleInfo(
                    name: rule.name, source: .file(location), definition: rule, errors: errors, isStale: stale,
                    createdAt: s.fileSeen[rule.name]!, enabled: rule.enabled)
            }
            for (name, api) in s.api {
                infos[name] = RuleInfo(
                    name: name, source: .api, definition: api.definition, errors: api.errors + (conflicts[name].map { [$0] } ?? []),
                    isStale: false, createdAt: api.row.createdAt, enabled: !api.row.disabled)
            }
            // Rules named in diagnostics that have no version in force: shown as failed.
            for d in diagnostics {
                guard let name = d.ruleName, infos[name] == nil else { continue }
                infos[name] = RuleInfo(
                    name: name, source: .file(SourceLocation(file: d.file, line: d.line, column: d.column)), definition: nil,
                    errors: errorsByRule[name] ?? [], isStale: false, createdAt: now, enabled: false)
            }
            s.fileSeen = s.fileSeen.filter { infos[$0.key] != nil }

            var index = TopicIndex<String, ActiveRule>()
            for (name, info) in infos where info.enabled {
                guard let definition = info.definition else { continue }
                do throws(RuleSQLError) {
                    var actions: [any RuleAction] = []
                    for a in definition.actions { actions.append(try factory.make(a)) }
                    var errorActions: [any RuleAction] = []
                    for a in definition.errorActions { errorActions.append(try factory.make(a)) }
                    let active = ActiveRule(
                        name: name, compiled: definition.rule, actions: actions, errorActions: errorActions,
                        metrics: RuleMetrics(rule: name, metrics: metrics))
                    index.insert(filter: definition.rule.topicFilter, id: name, value: active)
                } catch {
                    infos[name]?.errors.append("\(definition.location): error: \(error.message)")
                }
            }
            activeRules.record(index.count)
            current.set(RuleSet(index: index, infos: infos))
            generationCounter.add(1, ordering: .releasing)
            if subscribing.get() { updateDollarSubscriptions(infos) }
        }
    }

    /// Subscribes `$root/#` for each `$` root (other than `$aws`) that an enabled rule filters on.
    /// Roots are disjoint from `#` and from the shadow request topics, so nothing arrives twice.
    /// `$aws/...` filters see only the shadow request topics and `update/documents`.
    private func updateDollarSubscriptions(_ infos: [String: RuleInfo]) {
        var wanted: Set<String> = []
        for info in infos.values where info.enabled {
            guard let filter = info.definition?.rule.topicFilter, filter.hasPrefix("$"), !filter.hasPrefix("$aws/") else { continue }
            let root = filter.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
            wanted.insert("\(root)/#")
        }
        let (add, remove) = dollarSubscriptions.withLock { have -> (Set<String>, Set<String>) in
            defer { have = wanted }
            return (wanted.subtracting(have), have.subtracting(wanted))
        }
        if add.isEmpty && remove.isEmpty { return }
        let client = self.client
        let log = self.log
        Task {
            for f in add {
                do { try await client.subscribe(f, qos: .atLeastOnce) } catch {
                    log.warning(key: "sub-" + f, "Could not subscribe for a rule's $ topic filter: \(error)", metadata: ["filter": "\(f)"])
                }
            }
            for f in remove { try? await client.unsubscribe(f) }
        }
    }

    // MARK: - REST

    /// Every rule (file, REST, and file rules that failed to load), ordered by name.
    public func list() -> [RuleInfo] {
        current.get().infos.values.sorted { $0.name < $1.name }
    }

    public func rule(named name: String) -> RuleInfo? { current.get().infos[name] }

    /// CreateTopicRule: `body` is the TopicRulePayload JSON.
    public func create(name: String, body: [UInt8]) throws(RuleAPIError) {
        let (document, definition) = try validate(name: name, body: body)
        try refuseFileRule(name)
        let created: Bool
        do { created = try store.create(name: name, document: document, disabled: !definition.enabled) } catch {
            throw .internal("The rule could not be stored: \(error).")
        }
        guard created else { throw .alreadyExists("A rule named '\(name)' already exists.") }
        reloadAPIRule(name)
    }

    /// ReplaceTopicRule: replaces a REST rule's whole payload.
    public func replace(name: String, body: [UInt8]) throws(RuleAPIError) {
        try refuseFileRule(name)
        let (document, definition) = try validate(name: name, body: body)
        let replaced: Bool
        do { replaced = try store.replace(name: name, document: document, disabled: !definition.enabled) } catch {
            throw .internal("The rule could not be stored: \(error).")
        }
        guard replaced else { throw .notFound("There is no rule named '\(name)'.") }
        reloadAPIRule(name)
    }

    public func delete(name: String) throws(RuleAPIError) {
        try refuseFileRule(name)
        let deleted: Bool
        do { deleted = try store.delete(name: name) } catch { throw .internal("The rule could not be deleted: \(error).") }
        guard deleted else { throw .notFound("There is no rule named '\(name)'.") }
        reloadAPIRule(name)
    }

    /// EnableTopicRule / DisableTopicRule.
    public func setEnabled(name: String, _ enabled: Bool) throws(RuleAPIError) {
        try refuseFileRule(name)
        let changed: Bool
        do { changed = try store.setDisabled(name: name, !enabled) } catch { throw .internal("The rule could not be stored: \(error).") }
        guard changed else { throw .notFound("There is no rule named '\(name)'.") }
        reloadAPIRule(name)
    }

    private func refuseFileRule(_ name: String) throws(RuleAPIError) {
        guard let info = rule(named: name), case .file(let location) = info.source else { return }
        throw .fromFile(
            "The rule '\(name)' is defined in the file \(location.file); edit that file to change it (the gateway reloads it within a second).")
    }

    private func reloadAPIRule(_ name: String) {
        let row = try? store.get(name)
        sources.withLock { s in s.api[name] = row.flatMap { $0 }.map { Self.compile($0, loader: loader) } }
        rebuild()
    }

    /// Checks a TopicRulePayload; returns the JSON to store and the compiled definition.
    private func validate(name: String, body: [UInt8]) throws(RuleAPIError) -> (String, RuleDefinition) {
        guard name.range(of: "^[a-zA-Z0-9_]+$", options: .regularExpression) != nil, name.count <= 128 else {
            throw .invalid("The rule name '\(name)' may contain only letters, digits and underscores (at most 128).")
        }
        guard case .object(var payload)? = try? JSONValue.parse(body) else {
            throw .invalid("The request body must be a JSON TopicRulePayload object: {\"sql\": \"…\", \"actions\": […]}.")
        }
        if case .object(let inner)? = payload["topicRulePayload"] { payload = inner }
        for key in ["ruleName", "name"] {
            if let given = payload[key] {
                guard given == .string(name) else {
                    throw .invalid("The body names the rule \(given) but the path names it '\(name)'.")
                }
                payload[key] = nil
            }
        }
        guard case .string(let sql)? = payload["sql"] else { throw .invalid("The TopicRulePayload needs 'sql', a string.") }
        do { _ = try CompiledRule(sql: sql) } catch {
            throw .sqlParse("Invalid SQL at \(error.line):\(error.column): \(error.message)")
        }
        let document = JSONValue.object(payload).serialized()
        let result = loader.load(text: document, file: "request", name: name)
        guard let definition = result.rules.first, !result.diagnostics.hasErrors else {
            throw .invalid(result.diagnostics.map(\.message).joined(separator: " "))
        }
        return (document, definition)
    }

    static func compile(_ row: StoredRule, loader: RuleFileLoader) -> (row: StoredRule, definition: RuleDefinition?, errors: [String]) {
        let result = loader.load(text: row.document, file: "rules table", name: row.name)
        guard var definition = result.rules.first, !result.diagnostics.hasErrors else {
            return (row, nil, result.diagnostics.map { $0.message })
        }
        definition.enabled = !row.disabled
        return (row, definition, [])
    }

    /// The thing a shadow request topic `$aws/things/{thing}/shadow/…` belongs to.
    static func shadowThing(_ topic: String) -> String? {
        let levels = topic.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 3, omittingEmptySubsequences: false)
        guard levels.count == 4 else { return nil }
        return String(decoding: levels[2], as: UTF8.self)
    }
}
