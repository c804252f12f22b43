/// The minimum of a value over a trailing time window, as a monotonic deque in a fixed ring
/// (O(1) amortized, no allocation after init).
///
/// The loss-based estimator grows from the lowest target of the last second, which caps its growth
/// at 8 % per second however often feedback arrives.
struct MinimumHistory: Sendable {
    private struct Sample {
        var time: Int64
        var value: UInt64
    }

    let window: Int64
    private var ring: ContiguousArray<Sample>
    private var head = 0
    private var count = 0

    init(window: Int64, capacity: Int = 128) {
        self.window = window
        ring = ContiguousArray(repeating: Sample(time: 0, value: 0), count: max(capacity, 2))
    }

    /// Adds a sample and returns the minimum over the window ending at `now`.
    mutating func add(_ value: UInt64, at now: Int64) -> UInt64 {
        let horizon = now.saturatingSubtract(window)
        while count > 0, ring[head].time < horizon { popFront() }
        // Values behind a newer, smaller one can never be the minimum again.
        while count > 0, ring[(head + count - 1) % ring.count].value >= value { count -= 1 }
        if count == ring.count { popFront() }
        ring[(head + count) % ring.count] = Sample(time: now, value: value)
        count += 1
        return ring[head].value
    }

    mutating func removeAll() {
        count = 0
    }

    private mutating func popFront() {
        head = (head + 1) % ring.count
        count -= 1
    }
}
