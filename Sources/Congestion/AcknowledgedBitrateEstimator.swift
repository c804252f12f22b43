/// The rate the receiver actually got, from feedback arrival times over a sliding window.
///
/// The rate controller anchors its decrease on it (cut to 0.85 × what got through, not 0.85 × what
/// we wished to send) and caps its increase near it (no point claiming far more than is delivered).
/// Arrival-time based, so it measures the bottleneck's drain rate rather than our send rate.
public struct AcknowledgedBitrateEstimator: Sendable {
    /// Window of arrivals the rate is computed over (libwebrtc: 500 ms once warmed up).
    public static let window: Int64 = 500_000_000
    /// No estimate until arrivals span at least this (libwebrtc's initial window: 150 ms).
    public static let minimumSpan: Int64 = 150_000_000

    private struct Arrival {
        var time: Int64
        var size: Int64
    }

    private var ring: ContiguousArray<Arrival>
    /// The most arrivals the ring grows to.
    private let capacity: Int
    private var head = 0  // oldest
    private var count = 0
    private var bytesInWindow: Int64 = 0
    private var newest: Int64?

    /// - Parameters:
    ///   - capacity: arrivals kept at most: a 500 ms window at 4,000 packets/s. Beyond that the window
    ///     shortens, which only makes the estimate noisier.
    ///   - initialCapacity: the ring starts this small and doubles when a window's arrivals do not fit,
    ///     so a leg costs memory for its own packet rate (64 arrivals: 1 KiB; 2,048: 32 KiB).
    public init(capacity: Int = 2048, initialCapacity: Int = 64) {
        self.capacity = max(capacity, 2)
        ring = ContiguousArray(repeating: Arrival(time: 0, size: 0), count: min(max(initialCapacity, 2), self.capacity))
    }

    /// Adds one received packet. Slightly out-of-order arrivals count at the newest time seen, so the
    /// window stays sorted.
    public mutating func add(arrivalTime: Int64, size: Int) {
        if let newest, arrivalTime < newest.saturatingSubtract(Self.window) {
            // Far in the past: the receiver's clock restarted. Start over rather than wait for it.
            count = 0
            bytesInWindow = 0
            self.newest = nil
        }
        let time = max(arrivalTime, newest ?? arrivalTime)
        newest = time
        if count == ring.count {
            if ring.count < capacity { grow() } else { dropOldest() }
        }
        let size = Int64(min(max(size, 0), Int(Int32.max)))
        ring[(head + count) % ring.count] = Arrival(time: time, size: size)
        count += 1
        bytesInWindow += size
        let horizon = time.saturatingSubtract(Self.window)
        while count > 1, ring[head].time <= horizon { dropOldest() }
    }

    /// Bits per second over the window; `nil` until arrivals span `minimumSpan`.
    /// The first arrival's bytes are excluded: they arrived at the start of the span, not during it.
    public var bitrate: UInt64? {
        guard count >= 2, let newest else { return nil }
        let oldest = ring[head]
        let span = newest.saturatingSubtract(oldest.time)
        guard span >= Self.minimumSpan else { return nil }
        return Congestion.bitrate(bytes: bytesInWindow - oldest.size, over: span)
    }

    /// Doubles the ring (up to `capacity`), the oldest arrival moving to slot 0. Rare: a few times per leg.
    private mutating func grow() {
        var larger = ContiguousArray(repeating: Arrival(time: 0, size: 0), count: min(ring.count * 2, capacity))
        for offset in 0..<count { larger[offset] = ring[(head + offset) % ring.count] }
        ring = larger
        head = 0
    }

    /// Slots in the ring now (tests).
    var ringCapacity: Int { ring.count }

    private mutating func dropOldest() {
        bytesInWindow -= ring[head].size
        head = (head + 1) % ring.count
        count -= 1
    }
}
