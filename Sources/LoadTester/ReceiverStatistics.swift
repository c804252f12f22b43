import RTP

/// What one receiving participant saw, from RTP headers alone (SRTP leaves them in the clear):
/// sequence continuity per stream and the relay-added latency from the sender's timestamp extension.
struct ReceiverStatistics {
    private struct Stream {
        var unwrapper = SequenceNumberUnwrapper()
        var first: Int64
        var highest: Int64
        var received: Int64 = 0
    }

    private var streams: [UInt32: Stream] = [:]
    private(set) var packets: Int64 = 0
    private(set) var bytes: Int64 = 0
    var firstPacketAt: ContinuousClock.Instant?

    mutating func record(ssrc: UInt32, sequenceNumber: UInt16, bytes count: Int, at now: ContinuousClock.Instant) {
        packets += 1
        bytes += Int64(count)
        if firstPacketAt == nil { firstPacketAt = now }
        if var stream = streams[ssrc] {
            let extended = stream.unwrapper.unwrap(sequenceNumber)
            stream.highest = max(stream.highest, extended)
            stream.first = min(stream.first, extended)
            stream.received += 1
            streams[ssrc] = stream
        } else {
            var stream = Stream(first: 0, highest: 0)
            let extended = stream.unwrapper.unwrap(sequenceNumber)
            stream.first = extended
            stream.highest = extended
            stream.received = 1
            streams[ssrc] = stream
        }
    }

    /// Packets the sequence numbers say were sent but never arrived (duplicates can make it negative: clamp).
    var lost: Int64 {
        streams.values.reduce(0) { $0 + max(0, ($1.highest - $1.first + 1) - $1.received) }
    }

    var expected: Int64 {
        streams.values.reduce(0) { $0 + ($1.highest - $1.first + 1) }
    }

    /// One stream's packets lost and expected (zero for a stream never seen), e.g. video alone.
    func loss(ssrc: UInt32?) -> (lost: Int64, expected: Int64) {
        guard let ssrc, let stream = streams[ssrc] else { return (0, 0) }
        let expected = stream.highest - stream.first + 1
        return (max(0, expected - stream.received), expected)
    }
}
