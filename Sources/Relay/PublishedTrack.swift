/// One audio or video stream a participant sends into the room, and the subscriber legs it fans
/// out to. Lives on its engine's event loop.
final class PublishedTrack {
    unowned let publisher: Participant
    let media: NegotiatedMedia
    /// The publisher's SSRC: from the SDP, or learned from the first packet with this payload type.
    var ssrc: UInt32?
    var legs: [DownstreamLeg] = []
    /// Video only: audio loss is concealed by the decoder, and Opus NACK is not negotiated.
    let history: RetransmissionBuffer?
    var statistics: ReceiveStatistics
    var lastKeyframeRequest: ContinuousClock.Instant?
    var keyframeRequestPending = false
    var firSequenceNumber: UInt8 = 0
    /// Middle 32 bits of the last sender report's NTP time and when it arrived, for RR's LSR/DLSR.
    var lastSenderReport: (ntpMiddle: UInt32, arrival: ContinuousClock.Instant)?

    init(publisher: Participant, media: NegotiatedMedia) {
        self.publisher = publisher
        self.media = media
        self.ssrc = media.remoteSSRC
        self.history = media.kind == .video ? RetransmissionBuffer() : nil
        self.statistics = ReceiveStatistics(clockRate: media.clockRate)
    }
}

/// The relay's sending side of one forwarded track toward one subscriber. It keeps the
/// subscriber's view continuous (its SSRC, sequence numbers and timestamps) when the source changes.
final class DownstreamLeg {
    unowned let subscriber: Participant
    let media: NegotiatedMedia
    weak var source: PublishedTrack?

    /// Added (mod 2^16 / 2^32) to the source's numbers; recomputed at each (re)start.
    var sequenceDelta: UInt16 = 0
    var timestampDelta: UInt32 = 0
    /// Set until the first packet of a new source is forwarded; video waits for a keyframe there.
    var needsRestart = true
    var lastSequenceNumber: UInt16
    var lastTimestamp: UInt32
    var lastSentAt: ContinuousClock.Instant?
    var packetsSent: UInt32 = 0
    var octetsSent: UInt32 = 0
    /// Bytes of first transmissions (not retransmissions), which earn the leg its retransmission budget.
    var mediaBytesSent: UInt64 = 0
    /// Video legs that negotiated NACK: which lost packets are resent.
    var nack: NackResponder?
    /// From the subscriber's receiver reports about the relay's sender reports (RFC 3550 §6.4.1).
    var roundTripTime: Duration?
    /// The subscriber's own view of its loss and jitter, from its receiver reports.
    var reportedFractionLost: UInt8 = 0
    var reportedJitter: UInt32 = 0

    init(
        subscriber: Participant, media: NegotiatedMedia, initialSequence: UInt16, initialTimestamp: UInt32,
        limits: RelayLimits
    ) {
        self.subscriber = subscriber
        self.media = media
        if media.kind == .video && media.acceptsNack {
            nack = NackResponder(
                capacity: RetransmissionBuffer.defaultCapacity, share: limits.retransmissionShare,
                burstBytes: limits.retransmissionBurstBytes)
        }
        self.lastSequenceNumber = initialSequence
        self.lastTimestamp = initialTimestamp
    }

    /// Continues this leg's numbering from a new source packet: sequence numbers stay consecutive and
    /// timestamps advance by the wall time since the last packet sent (RFC 7667 §3.7 switching).
    func restart(sequenceNumber: UInt16, timestamp: UInt32, now: ContinuousClock.Instant) {
        sequenceDelta = (lastSequenceNumber &+ 1) &- sequenceNumber
        var advance: UInt32 = 1
        if let lastSentAt {
            let elapsed = now - lastSentAt
            let ticks = (elapsed.components.seconds * Int64(media.clockRate))
                + elapsed.components.attoseconds / 1_000_000_000 * Int64(media.clockRate) / 1_000_000_000
            advance = UInt32(truncatingIfNeeded: max(1, ticks))
        }
        timestampDelta = (lastTimestamp &+ advance) &- timestamp
        needsRestart = false
    }
}
