import Foundation
import IoTCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Measures desired→reported convergence through the gateway's REST API while a run goes on.
///
/// Every `interval` it takes the next simulated thing in turn, sets `desired.iotsimProbe`
/// to a fresh number with `POST /things/{thing}/shadow`, and polls `GET` until the device
/// has applied it (`reported.iotsimProbe` equal and no delta left). The time from the POST
/// to that GET is one sample. A thing whose shadow does not exist yet (not connected) is
/// skipped; one that does not converge within `timeout` counts as timed out.
final class ShadowProbe: Sendable {
    struct Figures: Sendable {
        var sent = 0
        var converged = 0
        var timedOut = 0
        var latency = LatencyHistogram()
    }

    let api: String
    let apiKey: String
    let things: [String]
    let interval: Duration
    let timeout: Duration
    private let figures = LockedValue(Figures())
    private let task = LockedValue<Task<Void, Never>?>(nil)
    /// Cleared by `stop`. The task is never cancelled: cancelling a task inside
    /// `URLSession.data(for:)` deadlocks swift-corelibs-foundation (seen here: the session's
    /// cancel waits on its queue while that queue resumes the task's continuation).
    private let running = LockedValue(true)

    init(api: String, apiKey: String, things: [String], interval: Duration, timeout: Duration = .seconds(10)) {
        self.api = api.hasSuffix("/") ? String(api.dropLast()) : api
        self.apiKey = apiKey
        self.things = things
        self.interval = interval
        self.timeout = timeout
    }

    func start() {
        let t = Task { [self] in
            var n = 0
            while running.get(), !things.isEmpty {
                let thing = things[n % things.count]
                n += 1
                await measure(thing: thing, value: n)
                let until = ContinuousClock.now + interval
                while running.get(), ContinuousClock.now < until { try? await Task.sleep(for: .milliseconds(20)) }
            }
        }
        task.set(t)
    }

    /// Stops sampling (after the request under way) and returns what was measured.
    func stop() async -> Figures {
        running.set(false)
        let t = task.withLock { t in
            defer { t = nil }
            return t
        }
        await t?.value
        return figures.get()
    }

    private func measure(thing: String, value: Int) async {
        guard let current = try? await request("GET", thing), current.status == 200,
            current.json["state"]?["reported"] != nil
        else { return }
        let body: JSONValue = ["state": ["desired": ["iotsimProbe": .int(Int64(value))]]]
        let start = ContinuousClock.now
        guard let posted = try? await request("POST", thing, body: body), posted.status == 200 else { return }
        figures.withLock { $0.sent += 1 }
        while ContinuousClock.now - start < timeout {
            if !running.get() { return }
            if let r = try? await request("GET", thing),
                r.json["state"]?["reported"]?["iotsimProbe"] == .int(Int64(value)), r.json["state"]?["delta"] == nil
            {
                let us = UInt64(max(0, (ContinuousClock.now - start) / .microseconds(1)))
                figures.withLock {
                    $0.converged += 1
                    $0.latency.record(microseconds: us)
                }
                return
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        figures.withLock { $0.timedOut += 1 }
    }

    private func request(_ method: String, _ thing: String, body: JSONValue? = nil) async throws -> (status: Int, json: JSONValue) {
        var r = URLRequest(url: URL(string: "\(api)/things/\(thing)/shadow")!)
        r.httpMethod = method
        r.setValue(apiKey, forHTTPHeaderField: "x-api-key")
        r.timeoutInterval = 5
        if let body { r.httpBody = Data(body.serializedBytes()) }
        let (data, response) = try await URLSession.shared.data(for: r)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, (try? JSONValue.parse(Array(data))) ?? .null)
    }
}
