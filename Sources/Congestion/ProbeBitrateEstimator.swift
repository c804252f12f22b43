/// Measures what a probe cluster got through: its send rate and its arrival rate, from feedback on
/// the packets tagged with its id (libwebrtc's `ProbeBitrateEstimator`).
///
/// If the path carried the burst, packets arrive as fast as they left and the probe's rate is
/// proven; if not, they arrive at the bottleneck's rate, which is then the estimate. A cluster
/// counts once 80 % of its packets and bytes have been acknowledged; the slots are fixed, so
/// consuming feedback never allocates.
///
/// A token-bucket shaper (a home link's) passes its burst allowance at line rate and only then holds the
/// rest to its rate: a cluster's first packets can arrive as fast as they left even through a link that
/// cannot carry the probe. So the cluster's second half (the packets reported after half its bytes), which
/// arrives behind any burst, is also compared with its own send rate, and a saturated second half sets the
/// result. (A 500 kbit/s shaper with a 4.5 KB burst read as 600-1,000 kbit/s from the whole cluster, and
/// each such reading moved a capped learner up to a layer its link could not carry.)
public struct ProbeBitrateEstimator: Sendable {
    /// Fraction of a cluster's packets and bytes that must arrive (libwebrtc: 0.8).
    static let minReceivedFraction = 0.8
    /// Intervals longer than this are not a burst (libwebrtc: 1 s).
    static let maxInterval: Int64 = 1_000_000_000
    /// Arrival faster than twice the send rate is nonsense (libwebrtc `kMaxValidRatio`).
    static let maxValidRatio = 2.0
    /// Arriving slower than 90 % of the send rate means the path saturated; then take 95 % of
    /// the arrival rate (libwebrtc `kMinRatioForUnsaturatedLink`, `kTargetUtilizationFraction`).
    static let saturatedRatio = 0.9
    static let saturatedUtilization = 0.95

    /// Some of a cluster's packets: when the first and last were sent and arrived.
    private struct Span {
        var firstSend = Int64.max
        var lastSend = Int64.min
        var lastSendSize = 0
        var firstArrival = Int64.max
        var firstArrivalSize = 0
        var lastArrival = Int64.min
        var packets = 0
        var bytes = 0

        mutating func add(sent: Int64, arrived: Int64, size: Int) {
            firstSend = min(firstSend, sent)
            if sent > lastSend {
                lastSend = sent
                lastSendSize = size
            }
            if arrived < firstArrival {
                firstArrival = arrived
                firstArrivalSize = size
            }
            lastArrival = max(lastArrival, arrived)
            packets += 1
            bytes += size
        }

        /// The send and arrival rates; nil with no interval (or one too long to be a burst). The last packet
        /// sent took no send time inside the interval, the first to arrive no receive time.
        var rates: (send: UInt64, receive: UInt64)? {
            let sendInterval = lastSend.saturatingSubtract(firstSend)
            let receiveInterval = lastArrival.saturatingSubtract(firstArrival)
            guard packets >= 2, sendInterval > 0, sendInterval <= ProbeBitrateEstimator.maxInterval, receiveInterval > 0,
                receiveInterval <= ProbeBitrateEstimator.maxInterval,
                let send = Congestion.bitrate(bytes: Int64(bytes - lastSendSize), over: sendInterval),
                let receive = Congestion.bitrate(bytes: Int64(bytes - firstArrivalSize), over: receiveInterval)
            else { return nil }
            return (send, receive)
        }
    }

    private struct Aggregate {
        var id = -1
        var minPackets = 0
        var minBytes = 0
        var whole = Span()
        /// Packets reported after half of `minBytes` had been.
        var secondHalf = Span()
    }

    private var slots = ContiguousArray(repeating: Aggregate(), count: 8)
    private var nextSlot = 0
    /// Whether a saturated second half sets the result (see above).
    private let judgesSecondHalf: Bool

    /// - Parameter judgesSecondHalf: for probes long enough to outlast a shaper's burst (a browser's 15-ms
    ///   probes have a second half of two or three packets, too few to judge by).
    public init(judgesSecondHalf: Bool = false) {
        self.judgesSecondHalf = judgesSecondHalf
    }

    /// Starts tracking a cluster the controller asked for; the oldest tracked one is forgotten.
    public mutating func register(_ cluster: ProbeCluster) {
        slots[nextSlot] = Aggregate(id: cluster.id, minPackets: max(cluster.minPackets, 1), minBytes: max(cluster.minBytes, 1))
        nextSlot = (nextSlot + 1) % slots.count
    }

    /// Adds a received probe packet; returns the cluster's measured rate once it is conclusive.
    public mutating func add(_ result: PacketResult) -> UInt64? {
        guard result.probeCluster >= 0, let arrival = result.arrivalTime, let index = slot(of: Int(result.probeCluster))
        else { return nil }
        var aggregate = slots[index]
        if aggregate.whole.bytes >= aggregate.minBytes / 2 {
            aggregate.secondHalf.add(sent: result.sendTime, arrived: arrival, size: result.size)
        }
        aggregate.whole.add(sent: result.sendTime, arrived: arrival, size: result.size)
        slots[index] = aggregate
        return Self.bitrate(of: aggregate, judgingSecondHalf: judgesSecondHalf)
    }

    // A plain loop: `firstIndex(where:)` is not specialized in debug builds and allocates there.
    private func slot(of id: Int) -> Int? {
        for index in 0..<slots.count where slots[index].id == id { return index }
        return nil
    }

    private static func bitrate(of cluster: Aggregate, judgingSecondHalf: Bool) -> UInt64? {
        guard Double(cluster.whole.packets) >= minReceivedFraction * Double(cluster.minPackets),
              Double(cluster.whole.bytes) >= minReceivedFraction * Double(cluster.minBytes),
              let rates = cluster.whole.rates, Double(rates.receive) <= maxValidRatio * Double(rates.send)
        else { return nil }
        let whole = Double(rates.receive) < saturatedRatio * Double(rates.send)
            ? UInt64(clamping: saturatedUtilization * Double(rates.receive)) : min(rates.send, rates.receive)
        // The second half against its own send rate: a sender that fell behind in it (a late timer) is
        // not a saturated path.
        if judgingSecondHalf, let half = cluster.secondHalf.rates, Double(half.receive) < saturatedRatio * Double(half.send) {
            return min(whole, UInt64(clamping: saturatedUtilization * Double(half.receive)))
        }
        return whole
    }
}
