import Relay

/// How long received datagrams wait inside the relay: from the read that brought a datagram in to the end of
/// the send (`sendmmsg`) that flushed what its read batch produced. A lecture's fan-out is done in that time,
/// so this is the delay the relay itself adds (not the kernel's queues before the read), measured on the hot
/// path with one clock read per datagram and no allocation. An upper bound: a send batch that fills (2,048
/// datagrams) leaves early, and part of a datagram's output with it.
public enum BatchDelayHistogram {
    /// Upper bounds in nanoseconds: 25 µs to 100 ms.
    public static let bounds: [Int64] = [
        25_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000,
        50_000_000, 100_000_000,
    ]

    public static func empty() -> BucketHistogram { BucketHistogram(bounds: bounds) }
}

/// One worker's delay histogram and the read times of the batch being handled, confined to its loop.
final class BatchDelayRecorder {
    private(set) var histogram = BatchDelayHistogram.empty()
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
