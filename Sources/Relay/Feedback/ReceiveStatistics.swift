import RTP

/// Reception statistics for one incoming RTP stream, as RFC 3550 Appendix A.1, A.3 and A.8 define
/// them, so the relay's receiver reports tell a publisher the truth about its uplink.
struct ReceiveStatistics {
    let clockRate: UInt32
    private var unwrapper = SequenceNumberUnwrapper()
    private var baseSequence: Int64?
    private(set) var received: Int64 = 0
    private var expectedPrior: Int64 = 0
    private var receivedPrior: Int64 = 0
    /// Interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1).
    private(set) var jitter: Double = 0
    private var lastTransit: Int64?
    private(set) var bytes: Int64 = 0

    init(clockRate: UInt32) {
        self.clockRate = clockRate
    }

    var highestSequence: Int64? { unwrapper.highest }

    var expected: Int64 {
        guard let base = baseSequence, let highest = unwrapper.highest else { return 0 }
        return highest - base + 1
    }

    var cumulativeLost: Int64 { max(0, expected - received) }

    mutating func record(sequenceNumber: UInt16, timestamp: UInt32, payloadBytes: Int, arrivalNanoseconds: Int64) {
        let extended = unwrapper.unwrap(sequenceNumber)
        if baseSequence == nil || extended < baseSequence! { baseSequence = extended }
        received += 1
        bytes += Int64(payloadBytes)
        // Transit time in RTP units; only differences matter, so the arbitrary epoch cancels out.
        let arrival = arrivalNanoseconds / 1_000 * Int64(clockRate) / 1_000_000
        let transit = arrival - Int64(timestamp)
        if let last = lastTransit {
            let d = Double(abs(transit - last))
            jitter += (d - jitter) / 16
        }
        lastTransit = transit
    }

    /// The fraction lost since the previous report, in 1/256 units (RFC 3550 A.3), and resets the interval.
    mutating func takeFractionLost() -> UInt8 {
        let expectedInterval = expected - expectedPrior
        let receivedInterval = received - receivedPrior
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        guard expectedInterval > 0, lostInterval > 0 else { return 0 }
        return UInt8(min(255, (lostInterval << 8) / expectedInterval))
    }

    var jitterMilliseconds: Double { jitter * 1_000 / Double(clockRate) }
}
