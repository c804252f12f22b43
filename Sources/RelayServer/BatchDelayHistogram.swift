/// How long received datagrams wait inside the relay: from the read that brought a datagram in to the end of
/// the send (`sendmmsg`) that flushed what its read batch produced. A lecture's fan-out is done in that time,
/// so this is the delay the relay itself adds (not the kernel's queues before the read), measured on the hot
/// path with one clock read per datagram and no allocation. An upper bound: a send batch that fills (2,048
/// datagrams) leaves early, and part of a datagram's output with it.
public struct BatchDelayHistogram: Sendable, Equatable {
    /// Upper bounds in nanoseconds (Prometheus `le`), then +Inf.
    public static let bounds: [Int64] = [
        25_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000,
        50_000_000, 100_000_000,
    ]
    /// Per bucket (not cumulative), the last one for everything above the largest bound.
    public private(set) var counts = [UInt64](repeating: 0, count: bounds.count + 1)
    public private(set) var sumNanoseconds: UInt64 = 0
    public var count: UInt64 { counts.reduce(0, &+) }

    public init() {}

    mutating func record(nanoseconds: Int64) {
        let value = max(0, nanoseconds)
        var index = 0
        while index < Self.bounds.count && value > Self.bounds[index] { index += 1 }
        counts[index] &+= 1
        sumNanoseconds &+= UInt64(value)
    }

    public mutating func add(_ other: BatchDelayHistogram) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        sumNanoseconds &+= other.sumNanoseconds
    }

    /// The bound of the bucket that holds quantile `q` (0...1): an upper estimate; nil when empty or beyond
    /// the largest bound.
    public func quantileUpperBound(_ q: Double) -> Int64? {
        let total = count
        guard total > 0 else { return nil }
        let rank = UInt64((Double(total) * min(max(q, 0), 1)).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucket) in counts.enumerated() {
            seen &+= bucket
            if seen >= max(rank, 1) { return index < Self.bounds.count ? Self.bounds[index] : nil }
        }
        return nil
    }
}

/// One worker's delay histogram and the read times of the batch being handled, confined to its loop.
final class BatchDelayRecorder {
    private(set) var histogram = BatchDelayHistogram()
    /// Read times of the datagrams since the last flush; capacity reserved once (reads come 32 at a time).
    private var pending: [ContinuousClock.Instant] = []
    private static let pendingLimit = 4_096

    init() {
        pending.reserveCapacity(Self.pendingLimit)
    }

    func read(at instant: ContinuousClock.Instant) {
        if pending.count < Self.pendingLimit { pending.append(instant) }
    }

    /// The batch's output has left: every datagram read since the last flush waited until now.
    func flushed(at end: ContinuousClock.Instant) {
        for start in pending {
            let waited = end - start
            histogram.record(
                nanoseconds: waited.components.seconds &* 1_000_000_000 &+ waited.components.attoseconds / 1_000_000_000)
        }
        pending.removeAll(keepingCapacity: true)
    }
}
