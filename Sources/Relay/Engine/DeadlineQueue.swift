/// The engine's timers: a binary min-heap of (deadline, participant id), so the edge sleeps until the
/// next thing is due instead of sweeping every participant every few milliseconds. Entries are never
/// removed in place: a participant's newer, earlier deadline is pushed beside the old one, and entries
/// that no longer match the participant's `scheduledAt` are skipped when they surface.
struct DeadlineQueue {
    private var heap: [(deadline: ContinuousClock.Instant, id: String)] = []

    var count: Int { heap.count }
    var earliest: ContinuousClock.Instant? { heap.first?.deadline }

    mutating func push(_ deadline: ContinuousClock.Instant, id: String) {
        heap.append((deadline, id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest entry if it is due at `now`.
    mutating func popDue(now: ContinuousClock.Instant) -> (deadline: ContinuousClock.Instant, id: String)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
