import Foundation

/// A bounded queue drained by one dedicated thread that hands it whole batches.
///
/// Group commit: once the first item of a batch arrives, the consumer lingers up to
/// `linger` (or until `maxBatch` items wait) before taking the batch, and producers wake it
/// only when it sleeps on an empty queue or a batch is full. At high rates this turns one
/// wake-up and one transaction per few messages into one per thousands.
///
/// Producers (the MQTT link thread) block when the queue is full, which stops reading
/// from the broker: the broker then holds the backlog for the gateway's persistent
/// session instead of the gateway dropping it. The consumer runs on its own thread
/// because SQLite writes block and must stay off Swift's cooperative pool.
final class BatchQueue<Item: Sendable>: @unchecked Sendable {
    // `condition` guards every stored var below.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private var busy = false
    private var finished = false
    /// The consumer sleeps on an empty queue (`.empty`) or lingers for a batch to fill (`.lingering`).
    private var consumerWait = ConsumerWait.none
    private let limit: Int
    private let linger: Double
    private let maxBatch: Int
    private let name: String
    private let process: @Sendable ([Item]) -> Void

    private enum ConsumerWait { case none, empty, lingering }

    init(
        name: String, limit: Int, maxBatch: Int, linger: Duration = .milliseconds(2),
        process: @escaping @Sendable ([Item]) -> Void
    ) {
        self.name = name
        self.limit = max(1, limit)
        self.maxBatch = max(1, maxBatch)
        let (seconds, attoseconds) = linger.components
        self.linger = Double(seconds) + Double(attoseconds) / 1e18
        self.process = process
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = name
        t.start()
    }

    /// Adds an item, waiting while the queue is full. Returns false once closed.
    @discardableResult
    func submit(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= limit && !closed { condition.wait() }
        if closed { return false }
        items.append(item)
        wakeConsumerIfNeeded()
        return true
    }

    /// Adds items in order, waiting for room as `submit` does. Returns false once closed.
    @discardableResult
    func submit(contentsOf newItems: [Item]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        var rest = newItems[...]
        while !rest.isEmpty {
            while items.count >= limit && !closed { condition.wait() }
            if closed { return false }
            let room = limit - items.count
            items.append(contentsOf: rest.prefix(room))
            rest = rest.dropFirst(room)
            wakeConsumerIfNeeded()
        }
        return true
    }

    /// Called with the lock held after adding items.
    private func wakeConsumerIfNeeded() {
        switch consumerWait {
        case .empty: condition.broadcast()
        case .lingering where items.count >= maxBatch: condition.broadcast()
        case .none, .lingering: break
        }
    }

    /// Items waiting plus the batch being processed.
    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }

    /// Stops accepting, processes everything already queued, and returns when done.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Waits until everything submitted so far has been processed.
    func waitUntilIdle() {
        condition.lock()
        while !items.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    private func run() {
        // Linux shows at most 15 characters; `top -H` and profiles then name this thread.
        Thread.current.name = String(name.suffix(15))
        while true {
            condition.lock()
            while items.isEmpty && !closed {
                consumerWait = .empty
                condition.wait()
            }
            if linger > 0 && !closed && items.count < maxBatch {
                let deadline = Date(timeIntervalSinceNow: linger)
                consumerWait = .lingering
                while !closed && items.count < maxBatch && condition.wait(until: deadline) {}
            }
            consumerWait = .none
            if items.isEmpty && closed {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch: [Item]
            if items.count <= maxBatch {
                batch = items
                items.removeAll(keepingCapacity: true)
            } else {
                batch = Array(items.prefix(maxBatch))
                items.removeFirst(maxBatch)
            }
            busy = true
            condition.broadcast()
            condition.unlock()
            process(batch)
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
