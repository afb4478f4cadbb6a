import Foundation

/// A bounded queue drained by one dedicated thread that hands it whole batches.
///
/// Producers (the MQTT loop thread) block when the queue is full, which stops reading
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
    private let limit: Int
    private let maxBatch: Int
    private let name: String
    private let process: @Sendable ([Item]) -> Void

    init(name: String, limit: Int, maxBatch: Int, process: @escaping @Sendable ([Item]) -> Void) {
        self.name = name
        self.limit = max(1, limit)
        self.maxBatch = max(1, maxBatch)
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
        condition.broadcast()
        return true
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
        while true {
            condition.lock()
            while items.isEmpty && !closed { condition.wait() }
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
