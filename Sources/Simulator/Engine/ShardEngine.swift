import Devices
import Foundation
import IoTCore
import MQTT
import Synchronization

/// Simulates a slice of a scenario's devices in this process. All MQTT I/O and every publish run
/// on one `MQTTEventLoop` thread; a periodic tick on that thread sends whatever is due.
public final class ShardEngine: Sendable {
    public let scenario: Scenario
    public let ordinals: Range<Int>
    let loop: MQTTEventLoop
    let setups: [DeviceSetup]
    /// Guards every mutable part of the simulation; never held while awaiting.
    let state: Mutex<EngineState>
    /// Events from client handlers, drained by the tick (a separate lock: handlers may run inside a
    /// publish made while `state` is held).
    let inbox: Mutex<[EngineEvent]>

    static let tickCeilingNanos: UInt64 = 20_000_000
    static let shadowQoS = MQTTQoS.atLeastOnce

    /// Prepares devices `ordinals` of the scenario's fleet; no connection is made yet.
    public init(scenario: Scenario, catalog: DeviceCatalog, ordinals: Range<Int>) throws(SimulationError) {
        self.scenario = scenario
        self.ordinals = ordinals
        guard let fleet = catalog.fleet(named: scenario.fleet), let type = catalog.deviceTypes[fleet.typeName] else {
            throw .invalidInput("Unknown fleet \"\(scenario.fleet)\" in \(scenario.devicesDirectory).")
        }
        var key: [UInt8] = []
        if case .derived(let data) = scenario.credentials {
            do { key = try DeviceCredentials.loadKey(dataDirectory: data) } catch { throw .invalidInput("--data: \(error)") }
        }
        let baseRate = scenario.rate ?? 1 / max(type.interval.inSeconds, 1e-6)
        let qos = MQTTQoS(rawValue: Int32(scenario.qos ?? type.qos)) ?? .atLeastOnce
        var setups: [DeviceSetup] = []
        var generators: [TelemetryGenerator] = []
        for ordinal in ordinals {
            let thing = fleet.thingName(ordinal: ordinal)
            let config = Self.clientConfiguration(scenario: scenario, thing: thing, key: key)
            var skew: Int64 = 0
            var silent: [Int] = []
            var storms: [Int] = []
            for (i, fault) in scenario.faults.enumerated()
            where FaultSelection.hits(fault, index: i, seed: scenario.seed, ordinal: ordinal) {
                switch fault.kind {
                case .clockSkew: skew += Int64(fault.skewSeconds * 1000)
                case .silent: silent.append(i)
                case .disconnect: storms.append(i)
                case .malformed: break
                }
            }
            setups.append(DeviceSetup(
                thing: thing, topic: type.telemetryTopic(for: thing), qos: qos, configuration: config,
                baseRate: baseRate, jitter: type.jitter, shadow: type.shadow, skewMillis: skew, silentFaults: silent,
                disconnectFaults: storms))
            generators.append(TelemetryGenerator(type: type, random: SeededRandom(seed: scenario.seed, stream: UInt64(ordinal))))
        }
        self.setups = setups
        loop = MQTTEventLoop(name: "iotsim-\(ordinals.lowerBound)")
        var s = EngineState(devices: setups.count, phases: scenario.phases.count, generators: generators,
                            seed: scenario.seed ^ UInt64(ordinals.lowerBound))
        s.figures.devices = setups.count
        s.figures.silenced = setups.filter { !$0.silentFaults.isEmpty }.count
        s.reported = setups.map { $0.shadow?.reported }
        state = Mutex(s)
        inbox = Mutex([])
    }

    /// How device `thing` connects: client id and username are the thing name (with derived or no credentials).
    static func clientConfiguration(scenario: Scenario, thing: String, key: [UInt8]) -> MQTTClient.Configuration {
        let tls = scenario.broker.tls
            ? MQTTClient.TLS(caFile: scenario.tls?.caFile, certFile: scenario.tls?.certFile, keyFile: scenario.tls?.keyFile)
            : nil
        var config = MQTTClient.Configuration(
            host: scenario.broker.host, port: scenario.broker.port, clientID: thing, keepAlive: 60, tls: tls,
            reconnectMinDelay: .seconds(1), reconnectMaxDelay: .seconds(30))
        switch scenario.credentials {
        case .none: break
        case .shared(let user, let password):
            config.username = user
            config.password = password
        case .derived:
            config.username = thing
            config.password = DeviceCredentials.password(for: thing, key: key)
        }
        return config
    }

    // MARK: Connecting

    /// Connects every device, `connectRate` per second (this engine's share of the scenario's rate),
    /// retrying refused sockets and timeouts twice; returns when every device connected or gave up.
    public func connectAll(connectRate: Double) async {
        scheduleTick()
        let start = Self.now()
        await withTaskGroup(of: Void.self) { group in
            for i in setups.indices {
                let target = start &+ UInt64(Double(i) / max(connectRate, 1e-3) * 1e9)
                let now = Self.now()
                if target > now + 2_000_000 { try? await Task.sleep(nanoseconds: target - now) }
                group.addTask { await self.connect(device: i) }
            }
        }
        await settle()
    }

    /// Waits until the loop thread has handed every event queued so far to the engine, so figures
    /// read next include the connections that just completed.
    func settle() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            loop.execute { [self] in
                let events = inbox.withLock { queue -> [EngineEvent] in
                    defer { queue.removeAll(keepingCapacity: true) }
                    return queue
                }
                let now = Self.now()
                state.withLock { s in for event in events { apply(event, &s, now: now) } }
                c.resume()
            }
        }
    }

    func connect(device i: Int) async {
        let setup = setups[i]
        for attempt in 0..<3 {
            let client: MQTTClient
            do {
                client = try MQTTClient(configuration: setup.configuration, eventLoop: loop)
            } catch {
                state.withLock { $0.connectFailed(error.description) }
                return
            }
            let generation = install(client, device: i)
            let started = Self.now()
            do {
                try await client.connect()
                let micros = (Self.now() - started) / 1000
                state.withLock { $0.figures.connect.record(microseconds: micros) }
                await afterConnect(device: i, client: client)
                return
            } catch {
                let refused: Bool
                if case MQTTError.connectionRefused = error { refused = true } else { refused = false }
                await client.disconnect()
                if refused || attempt == 2 || state.withLock({ $0.stopping }) {
                    state.withLock { $0.connectFailed("\(error)", device: i, generation: generation) }
                    return
                }
                try? await Task.sleep(for: .seconds(1 << attempt))
            }
        }
    }

    /// Registers `client` as device `i`'s current client; events of older clients are ignored from now on.
    private func install(_ client: MQTTClient, device i: Int) -> UInt32 {
        let generation = state.withLock { s -> UInt32 in
            s.generation[i] &+= 1
            s.clients[i] = client
            return s.generation[i]
        }
        let d = Int32(i)
        client.onPublishAck { [self] mid, rc in
            let at = ShardEngine.now()
            inbox.withLock { $0.append(.ack(device: d, generation: generation, mid: mid, at: at, reasonCode: rc)) }
        }
        client.onConnectionEvent { [self] event in
            inbox.withLock { $0.append(.connection(device: d, generation: generation, event: event)) }
        }
        if setups[i].shadow?.applyDesiredDelay != nil {
            client.onMessage { [self] message in
                inbox.withLock { $0.append(.delta(device: d, generation: generation, payload: message.payload)) }
            }
        }
        return generation
    }

    /// Shadow devices that follow `desired` listen for deltas (resubscribed by the client after reconnects).
    private func afterConnect(device i: Int, client: MQTTClient) async {
        guard let shadow = setups[i].shadow else { return }
        let thing = setups[i].thing
        if shadow.applyDesiredDelay != nil {
            do {
                try await client.subscribe("$aws/things/\(thing)/shadow/update/delta", qos: Self.shadowQoS)
            } catch {
                state.withLock { $0.figures.note(error: "\(error)") }
            }
        }
    }

    // MARK: The tick

    func scheduleTick(after nanos: UInt64 = 1_000_000) {
        loop.schedule(after: .nanoseconds(Int64(nanos))) { [self] in tick() }
    }

    private func tick() {
        let events = inbox.withLock { queue -> [EngineEvent] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        let now = Self.now()
        var storms: [(Int, MQTTClient, Double)] = []
        let next = state.withLock { s -> UInt64? in
            for event in events { apply(event, &s, now: now) }
            if s.stopping && s.heap.isEmpty && events.isEmpty && s.closed { return nil }
            if let t0 = s.t0, s.running {
                let elapsed = Double(now &- t0) / 1e9
                storms = dueStorms(&s, elapsed: elapsed)
                while let (_, device) = s.heap.popDue(now: now) {
                    send(device: Int(device), &s, now: now, t0: t0)
                }
            }
            let until = s.heap.nextDue.map { $0 > now ? $0 - now : 0 } ?? Self.tickCeilingNanos
            return min(max(until, 500_000), Self.tickCeilingNanos)
        }
        for (device, client, pause) in storms {
            Task { await self.storm(device: device, client: client, pause: pause) }
        }
        if let next { scheduleTick(after: next) }
    }

    private func apply(_ event: EngineEvent, _ s: inout EngineState, now: UInt64) {
        switch event {
        case .ack(let device, let generation, let mid, let at, let rc):
            let d = Int(device)
            guard s.generation[d] == generation,
                  let k = s.inflight[d].firstIndex(where: { $0.mid == mid }) else { return }
            let entry = s.inflight[d].remove(at: k)
            guard entry.telemetry else { return }
            let phase = Int(entry.phase)
            if rc >= 0x80 {
                s.figures.failed += 1
                s.figures.phases[phase].failed += 1
                s.figures.note(error: "The broker rejected a publish with reason code \(rc).")
                return
            }
            s.figures.acked += 1
            s.figures.phases[phase].acked += 1
            if setups[d].qos != .atMostOnce {
                let micros = (at &- entry.sentAt) / 1000
                s.figures.publishAck.record(microseconds: micros)
                s.figures.phases[phase].publishAck.record(microseconds: micros)
                s.recent.record(microseconds: micros)
            }
        case .connection(let device, let generation, let event):
            let d = Int(device)
            guard s.generation[d] == generation else { return }
            switch event {
            case .connected:
                if s.everConnected[d] { s.figures.reconnects += 1 } else { s.figures.connected += 1 }
                s.everConnected[d] = true
                if !s.online[d] { s.online[d] = true; s.figures.online += 1 }
                // A device reports its whole shadow state on every (re)connect.
                if let reported = s.reported[d] { publishReported(device: d, reported, &s) }
            case .disconnected(let reason):
                if s.online[d] {
                    s.online[d] = false
                    s.figures.online -= 1
                    s.figures.disconnects += 1
                    s.figures.note(error: reason)
                }
            case .reconnecting, .closed:
                break
            }
        case .delta(let device, let generation, let payload):
            let d = Int(device)
            guard s.generation[d] == generation, let delay = setups[d].shadow?.applyDesiredDelay,
                  let doc = try? JSONValue.parse(payload), case .object(let desired)? = doc["state"] else { return }
            s.figures.shadowDeltas += 1
            loop.schedule(after: delay) { [self] in
                state.withLock { s in
                    guard s.generation[d] == generation, !s.closed else { return }
                    var reported = s.reported[d] ?? JSONObject()
                    for (k, v) in desired { reported[k] = v }
                    s.reported[d] = reported
                    publishReported(device: d, desired, &s)
                }
            }
        }
    }

    /// Reports `fields` as the device's shadow state (runs on the loop thread).
    private func publishReported(device i: Int, _ fields: JSONObject, _ s: inout EngineState) {
        guard let client = s.clients[i], s.online[i] else { return }
        let doc: JSONValue = ["state": ["reported": .object(fields)]]
        do {
            let mid = try client.publishNoWait(topic: "$aws/things/\(setups[i].thing)/shadow/update",
                                               payload: doc.serializedBytes(), qos: Self.shadowQoS)
            s.inflight[i].append(Inflight(mid: mid, sentAt: Self.now(), phase: 0, telemetry: false))
            s.figures.shadowReports += 1
        } catch {
            s.figures.note(error: error.description)
        }
    }

    // MARK: Sending

    /// Unacknowledged messages a device may have before it waits, as a real device with a full send
    /// window would; past the machine's capacity this keeps queues (and latencies) from growing
    /// without bound while the achieved rate shows in the counts.
    static let maxInflightPerDevice = 32

    private func send(device d: Int, _ s: inout EngineState, now: UInt64, t0: UInt64) {
        let setup = setups[d]
        if s.inflight[d].count >= Self.maxInflightPerDevice && s.online[d] {
            s.heap.push(due: now &+ 1_000_000, device: Int32(d))
            return
        }
        let elapsed = Double(now &- t0) / 1e9
        defer { reschedule(device: d, after: elapsed, &s, t0: t0) }
        guard let (phase, _) = scenario.phase(at: elapsed) else { return }
        if setup.silentFaults.contains(where: { scenario.faults[$0].isActive(at: elapsed) }) { return }
        guard s.online[d], let client = s.clients[d] else {
            s.figures.skippedOffline += 1
            return
        }
        s.seq[d] += 1
        var buffer = s.buffer
        s.generators[d].payload(seq: s.seq[d], nowMillis: IoTCore.Clock.epochMillis() + setup.skewMillis, elapsed: elapsed, into: &buffer)
        for fault in scenario.faults where fault.kind == .malformed && fault.isActive(at: elapsed) {
            if s.random.unit() < fault.fraction {
                buffer.removeLast(buffer.count / 2)
                s.figures.malformed += 1
                break
            }
        }
        s.figures.sent += 1
        s.figures.phases[phase].sent += 1
        s.figures.bytes += buffer.count
        do {
            let mid = try client.publishNoWait(topic: setup.topic, payload: buffer, qos: setup.qos)
            s.inflight[d].append(Inflight(mid: mid, sentAt: now, phase: Int16(phase), telemetry: true))
        } catch {
            s.figures.failed += 1
            s.figures.phases[phase].failed += 1
            s.figures.note(error: error.description)
        }
        s.buffer = buffer
    }

    private func reschedule(device d: Int, after elapsed: Double, _ s: inout EngineState, t0: UInt64) {
        let setup = setups[d]
        let jitter = setup.jitter > 0 ? 1 + setup.jitter * (2 * s.random.unit() - 1) : 1
        guard let next = scenario.nextSend(after: elapsed, base: setup.baseRate / jitter, u: s.random.unit()) else { return }
        s.heap.push(due: t0 &+ UInt64(next * 1e9), device: Int32(d))
    }

    private func dueStorms(_ s: inout EngineState, elapsed: Double) -> [(Int, MQTTClient, Double)] {
        var out: [(Int, MQTTClient, Double)] = []
        for (i, fault) in scenario.faults.enumerated() where fault.kind == .disconnect && !s.stormsDone.contains(i) && elapsed >= fault.at {
            s.stormsDone.insert(i)
            for d in setups.indices where setups[d].disconnectFaults.contains(i) {
                guard s.online[d], let client = s.clients[d] else { continue }
                s.generation[d] &+= 1
                s.online[d] = false
                s.figures.online -= 1
                s.figures.disconnects += 1
                s.failInflight(device: d)
                out.append((d, client, fault.pauseSeconds))
            }
        }
        return out
    }

    private func storm(device d: Int, client: MQTTClient, pause: Double) async {
        await client.disconnect()
        try? await Task.sleep(for: .seconds(pause))
        if state.withLock({ $0.stopping }) { return }
        await connect(device: d)
    }

    // MARK: Running

    /// Runs every phase from now, then waits up to `drainSeconds` for outstanding acknowledgements;
    /// whatever is still unacknowledged then counts as failed.
    public func runPhases() async {
        let t0 = Self.now()
        state.withLock { s in
            s.t0 = t0
            s.running = true
            for d in setups.indices {
                let u = s.random.unit()
                if let first = scenario.nextSend(after: 0, base: setups[d].baseRate, u: 0) {
                    s.heap.push(due: t0 &+ UInt64(first * u * 1e9), device: Int32(d))
                }
            }
        }
        let end = t0 &+ UInt64(scenario.totalSeconds * 1e9)
        while Self.now() < end {
            try? await Task.sleep(nanoseconds: min(end - Self.now(), 100_000_000))
        }
        state.withLock { s in
            s.running = false
            s.heap.removeAll()
        }
        let drainStart = Self.now()
        let drainEnd = drainStart &+ UInt64(scenario.drainSeconds * 1e9)
        while Self.now() < drainEnd, state.withLock({ s in s.inflight.contains { $0.contains(where: \.telemetry) } }) {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        let drained = Double(Self.now() - drainStart) / 1e9
        state.withLock { s in
            s.figures.drainSeconds = drained
            for d in setups.indices { s.failInflight(device: d) }
        }
    }

    /// Cumulative figures, plus the acknowledgement latencies recorded since the previous call.
    public func figures() -> (total: ShardFigures, recent: LatencyHistogram) {
        state.withLock { s in
            defer { s.recent.reset() }
            return (s.figures, s.recent)
        }
    }

    /// Disconnects every device and stops the event loop thread.
    public func shutdown() async {
        let clients = state.withLock { s -> [MQTTClient] in
            s.stopping = true
            s.running = false
            s.heap.removeAll()
            return s.clients.compactMap { $0 }
        }
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.disconnect() } }
        }
        state.withLock { s in
            s.closed = true
            s.clients = Array(repeating: nil, count: s.clients.count)
        }
        loop.shutdown()
    }

    static func now() -> UInt64 { IoTCore.Clock.monotonicNanos() }
}
