/// Devices ordered by when they next publish: a binary min-heap of (deadline, device).
struct DueHeap: Sendable {
    private var items: [(due: UInt64, device: Int32)] = []

    init(capacity: Int) { items.reserveCapacity(capacity) }

    var isEmpty: Bool { items.isEmpty }
    var nextDue: UInt64? { items.first?.due }

    mutating func push(due: UInt64, device: Int32) {
        items.append((due, device))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent].due > items[i].due else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> (due: UInt64, device: Int32)? {
        guard let first = items.first, first.due <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].due < items[m].due { m = l }
                if r < items.count && items[r].due < items[m].due { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return first
    }

    mutating func removeAll() { items.removeAll() }
}
