import Congestion

/// Who a participant is, as the room token said. Copied into every event about them.
public struct ParticipantIdentity: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable {
        case host, participant
    }

    public let participantID: String
    public let roomID: String
    public let userID: String
    public let role: Role

    public init(participantID: String, roomID: String, userID: String, role: Role) {
        self.participantID = participantID
        self.roomID = roomID
        self.userID = userID
        self.role = role
    }
}

/// Traffic and quality figures for one participant, as persisted by the control plane.
public struct ParticipantStatistics: Sendable, Equatable {
    public var packetsIn: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var packetsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Packets the participant's uplink lost (RFC 3550 cumulative, over its published tracks).
    public var packetsLost: Int64 = 0
    /// Worst interarrival jitter over its published tracks, or as its receiver reports said.
    public var jitterMilliseconds: Double = 0
    public var secondsInRoom: Double = 0
    /// True when the participant published audio but no video (no camera, or camera denied).
    public var audioOnly = false
    /// The relay's estimate of what it may send this participant; nil without transport-cc feedback.
    public var bandwidth: BandwidthStatistics?

    public init() {}
}

/// One WebRTC peer connection through the relay: its transport, the tracks it publishes (producers)
/// and the tracks the relay sends it (consumers). Confined to its engine's event loop.
final class Participant {
    let identity: ParticipantIdentity
    /// The room token's id (`jti`), to bound how many connections one token makes.
    let tokenID: String?
    let transport: PeerTransport
    var producers: [Producer] = []
    var consumers: [Consumer] = []
    /// What the relay told this peer in SDP, kept for renegotiation.
    var negotiation: NegotiationState
    /// The room it is in, for the per-packet work that is the room's (the dominant speaker).
    weak var room: Room?
    /// The relay's own offers (the room socket's subscribe connection): one slot per m-section.
    var subscription: SubscriptionPlan?
    /// The SSRC the relay uses as RTCP sender toward this participant (RR, PLI, REMB).
    let relaySSRC: UInt32
    /// Since when ICE and DTLS have had to complete (the connect timeout): the join, or a subscribe
    /// connection's first answer. Nil while there is nothing to connect yet.
    var connectingSince: ContinuousClock.Instant?
    /// When the engine took the join, and when the first media packet went to or came from this participant
    /// (`JoinTimes`).
    let joinedAt: ContinuousClock.Instant
    var firstMediaAt: ContinuousClock.Instant?
    /// `firstMediaAt != nil`, tested per packet without copying an instant (a resilient type).
    var hasMedia = false
    var connectedAt: ContinuousClock.Instant?
    var nextReportAt: ContinuousClock.Instant
    var nextStatisticsAt: ContinuousClock.Instant
    var statistics = ParticipantStatistics()
    /// Transport feedback for what this peer sends, when it negotiated transport-wide sequence numbers.
    var transportFeedback: TransportFeedbackGenerator?
    /// The transport-wide sequence number (transport-cc) of the next packet the relay sends this peer.
    var transportSequenceNumber: UInt16 = 1
    /// What the relay may send this peer (GCC on its transport-cc feedback); made at the first packet
    /// sent with a transport-wide sequence number, so legs without transport-cc cost nothing.
    var bandwidth: SendSideBandwidthEstimator?
    /// The estimate last handed to the consumers' layer selectors and the pacer, and when.
    var distributedEstimate: (bitrate: UInt64, at: Int64)?
    /// Spreads the media sent to this peer at a multiple of its estimate (unpaced without one).
    var pacer = Pacer()
    /// The REMB this peer's video gets when it did not negotiate transport-cc, and the received-bytes
    /// sample it was last updated from.
    var receiveRate: ReceiveSideRateController?
    var lastReceiveSample: (bytes: UInt64, at: ContinuousClock.Instant)?
    /// A bandwidth probe being sent to this peer, when its estimator asked for one.
    var probe: RelayEngine.ActiveProbe?
    /// The deadline this participant is queued under in the engine's timer queue, if any.
    var scheduledAt: ContinuousClock.Instant?
    /// One end of a cascade pipe: no attendance, statistics or connection-ended events.
    var isRelayed = false

    init(
        identity: ParticipantIdentity, tokenID: String?, transport: PeerTransport, negotiation: NegotiationState,
        relaySSRC: UInt32, now: ContinuousClock.Instant
    ) {
        self.identity = identity
        self.tokenID = tokenID
        self.transport = transport
        self.negotiation = negotiation
        self.relaySSRC = relaySSRC
        self.connectingSince = now
        self.joinedAt = now
        self.nextReportAt = now + .seconds(1)
        self.nextStatisticsAt = now + .seconds(5)
    }

    var isConnected: Bool { transport.isConnected }
    /// Keyed and with a nominated address: media sent now reaches the subscriber.
    var canReceiveMedia: Bool { transport.outbound != nil && transport.remote != nil }

    /// Whether RTP with this clear-header SSRC and payload type can belong to a producer, checked before
    /// SRTP so packets for other SSRCs never make libsrtp create stream state.
    func mayPublish(ssrc: UInt32, payloadType: UInt8) -> Bool {
        for producer in producers where producer.ssrc == ssrc || (producer.ssrc == nil && producer.media.payloadType == payloadType) {
            return true
        }
        for producer in producers where producer.rtxSSRC == ssrc
            || (producer.rtxSSRC == nil && producer.rid != nil && producer.media.rtxPayloadType == payloadType)
        {
            return true
        }
        return false
    }

    /// Whether SRTCP from this sender SSRC is accepted: a producer's, or one the transport admits.
    func mayReport(from ssrc: UInt32, limit: Int) -> Bool {
        for producer in producers where producer.ssrc == ssrc { return true }
        return transport.mayReport(from: ssrc, limit: limit)
    }

    func recordReporter(_ ssrc: UInt32) {
        for producer in producers where producer.ssrc == ssrc { return }
        transport.recordReporter(ssrc)
    }

    func producer(ssrc: UInt32, payloadType: UInt8) -> Producer? {
        for producer in producers where producer.ssrc == ssrc { return producer }
        // No SSRC in the SDP (rid-only offers): bind the first unbound producer with this payload type.
        for producer in producers where producer.ssrc == nil && producer.rid == nil && producer.media.payloadType == payloadType {
            producer.ssrc = ssrc
            return producer
        }
        return nil
    }

    /// The producer whose RFC 4588 retransmissions come on this SSRC.
    func producer(rtxSSRC ssrc: UInt32) -> Producer? {
        for producer in producers where producer.rtxSSRC == ssrc { return producer }
        return nil
    }

    /// A simulcast layer has not yet been seen on its SSRC or its RTX SSRC (learned from the rid).
    var hasUnboundLayers: Bool {
        producers.contains { $0.rid != nil && ($0.ssrc == nil || ($0.rtxSSRC == nil && $0.media.rtxPayloadType != nil)) }
    }

    func consumer(localSSRC: UInt32) -> Consumer? {
        for consumer in consumers where consumer.media.localSSRC == localSSRC { return consumer }
        return nil
    }

    /// The earliest time a timer of this participant is due: DTLS and consent, the connect deadline,
    /// reports, statistics and postponed keyframe requests.
    func nextDeadline(configuration: RelayConfiguration, clock: EngineClock) -> ContinuousClock.Instant? {
        var deadline = transport.nextDeadline
        func consider(_ instant: ContinuousClock.Instant?) {
            guard let instant else { return }
            deadline = deadline.map { min($0, instant) } ?? instant
        }
        if !isConnected || transport.remote == nil { consider(connectingSince.map { $0 + configuration.connectTimeout }) }
        if isConnected {
            consider(nextReportAt)
            consider(nextStatisticsAt)
        }
        // A keyframe request can only go to a publisher that can be reached; one kept for later goes when
        // it can (`requestKeyframe` at connect), so it never holds a deadline that is already past.
        if isConnected && transport.remote != nil {
            consider(transportFeedback?.pollTimeout().map { clock.aligned(clock.instant($0), to: configuration.feedbackAlignment) })
            consider(pacer.nextSendTime().map { clock.instant($0) })
            consider(probe.map { clock.instant($0.nextDue) })
            for producer in producers where producer.ssrc != nil {
                consider(producer.keyFrames.deadline(interval: configuration.keyframeRequestInterval))
                consider(producer.nacks?.pollTimeout().map(clock.instant))
            }
            for producer in producers where producer.layerIndex == 0 { consider(producer.simulcast?.nextReviewAt) }
        }
        return deadline
    }

    func snapshot(now: ContinuousClock.Instant) -> ParticipantStatistics {
        var result = statistics
        result.secondsInRoom = connectedAt.map { Self.seconds(now - $0) } ?? 0
        var lost: Int64 = 0
        var jitter = 0.0
        for producer in producers {
            lost += producer.statistics.cumulativeLost
            jitter = max(jitter, producer.statistics.jitterMilliseconds)
        }
        for consumer in consumers {
            jitter = max(jitter, Double(consumer.reportedJitter) * 1_000 / Double(consumer.media.clockRate))
        }
        result.packetsLost = lost
        result.jitterMilliseconds = jitter
        result.audioOnly = producers.contains { $0.kind == .audio } && !producers.contains { $0.kind == .video }
        if let bandwidth, bandwidth.statistics.feedbackCount > 0 {
            let estimate = bandwidth.statistics
            result.bandwidth = BandwidthStatistics(
                estimate: estimate.targetBitrate, acknowledged: estimate.acknowledgedBitrate, lossFraction: estimate.lossRatio,
                roundTripMilliseconds: estimate.roundTripTime > 0 ? Double(estimate.roundTripTime) / 1e6 : nil,
                delayState: "\(estimate.usage)")
        }
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
