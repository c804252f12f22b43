import RTCP

/// Turns transport-wide feedback into `PacketResult`s by joining it with the `SentPacketHistory`.
///
/// Feedback comes from the far end and is not trusted: sequence numbers never sent (or too old to be
/// remembered) are skipped, a packet reported twice counts once, and the reference time and deltas
/// are accumulated with saturating arithmetic, so no input can trap. Results go into a buffer that is
/// reused from one feedback to the next. It starts at what a learner's feedback holds (a browser reports
/// every 50-100 ms, about 10-20 packets at 1.5 Mbit/s) and doubles when one holds more, so a leg pays
/// memory for its own rate (a fixed 1,024-result buffer was 48 KiB per leg), and allocates a few times
/// at most. A feedback reporting on more packets than `maxResultsPerFeedback` (several times what a
/// browser reports at 10 Mbit/s every 250 ms) has the rest ignored.
public struct TransportFeedbackAdapter: Sendable {
    public private(set) var history: SentPacketHistory
    /// Results of the last `adapt` call, in sequence (= send) order.
    public private(set) var results: ContiguousArray<PacketResult>
    /// The 24-bit reference time wraps every 2^24 × 64 ms ≈ 12.4 days.
    private var referenceTime = WrappingCounterUnwrapper(bits: 24)

    public static let maxResultsPerFeedback = 1024
    static let initialResultsCapacity = 64
    private let maxResults: Int

    public init(
        capacity: Int = SentPacketHistory.defaultCapacity,
        maxResultsPerFeedback: Int = TransportFeedbackAdapter.maxResultsPerFeedback
    ) {
        history = SentPacketHistory(capacity: capacity)
        maxResults = max(maxResultsPerFeedback, 1)
        results = []
        results.reserveCapacity(min(Self.initialResultsCapacity, maxResults))
    }

    /// Remembers a sent packet; returns its unwrapped sequence number.
    @discardableResult
    public mutating func onPacketSent(sequenceNumber: UInt16, size: Int, at time: Int64, probeCluster: Int? = nil)
        -> Int64
    {
        history.record(sequenceNumber: sequenceNumber, sendTime: time, size: size, probeCluster: probeCluster)
    }

    /// Replaces `results` with the packets this feedback newly reports on.
    public mutating func adapt(_ feedback: TransportWideFeedback) -> FeedbackSummary {
        results.removeAll(keepingCapacity: true)
        var summary = FeedbackSummary()
        guard let newest = history.newestSequenceNumber else { return summary }
        let oldest = newest.saturatingSubtract(Int64(history.capacity - 1))

        let rawReference = UInt64(UInt32(bitPattern: feedback.referenceTime) & 0xFF_FFFF)
        let reference = referenceTime.unwrap(rawReference)
        var arrival = reference.saturatingMultiply(TransportWideFeedback.referenceTimeTick)  // µs
        var sequenceNumber = history.unwrap(feedback.baseSequenceNumber)

        for report in feedback.packets {
            defer { sequenceNumber = sequenceNumber.saturatingAdd(1) }
            if let delta = report.receiveDelta { arrival = arrival.saturatingAdd(Int64(delta)) }
            if sequenceNumber > newest { break }  // never sent: the rest are not either
            if results.count == maxResults { break }
            guard sequenceNumber >= oldest, let entry = history.entry(sequenceNumber) else { continue }

            let result: PacketResult
            if report.receiveDelta != nil {
                switch entry.feedback {
                case .received: continue  // duplicate
                case .reportedLost: summary.recovered += 1
                case .pending: break
                }
                history.setFeedback(.received, for: sequenceNumber)
                summary.received += 1
                summary.newestReceivedSendTime = max(summary.newestReceivedSendTime ?? .min, entry.sendTime)
                result = PacketResult(
                    sequenceNumber: sequenceNumber, sendTime: entry.sendTime, size: Int(entry.size),
                    arrivalTime: arrival.saturatingMultiply(1000), probeCluster: entry.probeCluster)
            } else {
                guard entry.feedback == .pending else { continue }
                history.setFeedback(.reportedLost, for: sequenceNumber)
                summary.lost += 1
                result = PacketResult(
                    sequenceNumber: sequenceNumber, sendTime: entry.sendTime, size: Int(entry.size),
                    arrivalTime: nil, probeCluster: entry.probeCluster)
            }
            results.append(result)
        }
        return summary
    }
}
