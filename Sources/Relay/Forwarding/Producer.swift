import RTCP

/// What a published track shows, so subscribers can lay it out (a screen share is shown large).
public enum TrackSource: String, Sendable, Equatable, CaseIterable {
    case microphone, camera, screen
}

/// One audio or video stream a participant sends into the room (mediasoup's Producer), and the
/// consumers it fans out to. Lives on its engine's event loop.
final class Producer {
    unowned let publisher: Participant
    private(set) var media: NegotiatedMedia
    let source: TrackSource
    /// The publisher's SSRC: from the SDP, or learned from the first packet with this payload type.
    var ssrc: UInt32?
    var consumers: [Consumer] = []
    /// Video only: audio loss is concealed by the decoder, and Opus NACK is not negotiated.
    let history: RetransmissionBuffer?
    var statistics: ReceiveStatistics
    var keyFrames = KeyFrameRequests()
    /// Gaps in the publisher's stream, NACKed so the uplink is repaired once at the relay rather than by
    /// every subscriber. Video whose publisher negotiated NACK only.
    var nacks: NackGenerator?
    /// Reused for each NACK poll, so polling never allocates.
    var nackPairs: [NackPair] = []
    /// Middle 32 bits of the last sender report's NTP time and when it arrived, for RR's LSR/DLSR.
    var lastSenderReport: (ntpMiddle: UInt32, arrival: ContinuousClock.Instant)?

    init(publisher: Participant, media: NegotiatedMedia, source: TrackSource) {
        self.publisher = publisher
        self.media = media
        self.source = source
        self.ssrc = media.remoteSSRC
        self.history = media.kind == .video ? RetransmissionBuffer() : nil
        self.statistics = ReceiveStatistics(clockRate: media.clockRate)
        if media.kind == .video && media.acceptsNack {
            nacks = NackGenerator()
            nackPairs.reserveCapacity(NackGenerator.Configuration().maxPairsPerPoll)
        }
    }

    var kind: NegotiatedMedia.Kind { media.kind }

    /// Detaches every consumer: the publisher left or stopped this track.
    func close() {
        for consumer in consumers { consumer.detach() }
        consumers.removeAll()
    }
}
