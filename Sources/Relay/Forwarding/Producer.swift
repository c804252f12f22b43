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
    /// The publisher's SSRC: from the SDP, or learned from the first packet with this payload type (or,
    /// for a simulcast layer, with this layer's rid in the rtp-stream-id extension).
    var ssrc: UInt32?
    /// Where the publisher resends this stream (RFC 4588): the SDP's FID group, or for a simulcast layer
    /// the first packet naming its rid in the repaired-rtp-stream-id extension.
    var rtxSSRC: UInt32?
    /// Simulcast: the track this layer belongs to, its rid and its place in the offer's `a=simulcast`.
    /// Every layer is a producer of the publisher (so reports, NACKs and keyframe requests work per
    /// SSRC); consumers attach to the first layer, which stands for the track.
    var simulcast: SimulcastTrack?
    let rid: String?
    let layerIndex: Int
    /// Simulcast layers: bitrate, size and activity, for the consumers' layer selection.
    var layerStatistics = LayerStatistics()
    /// Padding-only packets (bandwidth probes) received on this stream and not forwarded.
    var paddingPackets: UInt64 = 0
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

    init(publisher: Participant, media: NegotiatedMedia, source: TrackSource, rid: String? = nil, layerIndex: Int = 0) {
        self.publisher = publisher
        self.media = media
        self.source = source
        self.rid = rid
        self.layerIndex = layerIndex
        self.ssrc = rid == nil ? media.remoteSSRC : nil
        self.rtxSSRC = rid == nil ? media.rtxSSRC : nil
        self.history = media.kind == .video ? RetransmissionBuffer() : nil
        self.statistics = ReceiveStatistics(clockRate: media.clockRate)
        if media.kind == .video && media.acceptsNack {
            nacks = NackGenerator()
            nackPairs.reserveCapacity(NackGenerator.Configuration().maxPairsPerPoll)
        }
    }

    var kind: NegotiatedMedia.Kind { media.kind }

    /// The track's layers (itself alone without simulcast).
    func layer(_ index: Int) -> Producer? {
        guard let simulcast else { return index == 0 ? self : nil }
        return simulcast.layers.indices.contains(index) ? simulcast.layers[index] : nil
    }

    /// Detaches every consumer: the publisher left or stopped this track.
    func close() {
        for consumer in consumers where consumer.source === self { consumer.detach() }
        consumers.removeAll()
        // The track holds its layers and each layer the track: closing every layer breaks the cycle.
        simulcast = nil
    }
}
