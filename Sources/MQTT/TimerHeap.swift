/// A binary min-heap of deadlines (monotonic nanoseconds) for the event loop's timers.
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        var sequence: UInt64
        var action: @Sendable () -> Void
    }

    private var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    var nextDeadline: UInt64? { entries.first?.deadline }
    var isEmpty: Bool { entries.isEmpty }

    mutating func insert(deadline: UInt64, action: @escaping @Sendable () -> Void) {
        nextSequence &+= 1
        entries.append(Entry(deadline: deadline, sequence: nextSequence, action: action))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns every entry due at `now`, earliest first.
    mutating func popDue(now: UInt64) -> [Entry] {
        var due: [Entry] = []
        while let first = entries.first, first.deadline <= now {
            due.append(first)
            let last = entries.removeLast()
            if !entries.isEmpty {
                entries[0] = last
                siftDown(0)
            }
        }
        return due
    }

    mutating func removeAll() {
        entries.removeAll()
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && Self.before(entries[left], entries[smallest]) { smallest = left }
            if right < entries.count && Self.before(entries[right], entries[smallest]) { smallest = right }
            if smallest == parent { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }
}
