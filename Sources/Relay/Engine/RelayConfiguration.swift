import SRTP
import Congestion

/// The engine's knobs. The server fills these from `config/` and the environment.
public struct RelayConfiguration: Sendable {
    /// Host candidates announced in answers: the address clients reach (NAT'd servers announce their
    /// public address here) and the UDP port of the engine's socket.
    public var announcedAddresses: [String]
    public var port: UInt16
    /// A participant must finish ICE + DTLS within this time after its offer is answered.
    public var connectTimeout: Duration = .seconds(30)
    /// RFC 7675 consent freshness: no valid check for this long means the participant is gone.
    public var consentTimeout: Duration = .seconds(30)
    /// Receiver/sender report interval (RFC 3550 §6.2 recommends a few seconds; WebRTC uses ~1 s).
    public var reportInterval: Duration = .seconds(1)
    /// How often participant statistics are emitted for persistence.
    public var statisticsInterval: Duration = .seconds(5)
    /// Reports and statistics fall due on multiples of this, so a room's participants share their wake-ups
    /// (each then sends up to this much later than its interval asks; RTCP's own interval is randomized
    /// by ±50%, RFC 3550 §6.3.1). Zero keeps each participant on its own phase.
    public var periodicAlignment: Duration = .milliseconds(100)
    /// Transport-wide feedback to publishers falls due on multiples of this (its interval, 50 or 100 ms, is
    /// one), so every publisher on a worker is answered in the same wake-up instead of each on its own
    /// phase: in a seminar that is one wake-up where there were one per publisher. Zero keeps each
    /// generator's own phase.
    public var feedbackAlignment: Duration = .milliseconds(50)
    /// At most one PLI per published track in this interval, however many subscribers ask.
    public var keyframeRequestInterval: Duration = .milliseconds(500)
    /// The most the relay's REMB allows a publisher's video (REMB goes only to publishers without
    /// transport-cc; it starts here and follows what arrives and its loss).
    public var maximumVideoBitrate: UInt64 = 2_500_000
    /// Participants per room, when the signaling layer does not say otherwise.
    public var defaultRoomCapacity = 100
    /// Negotiate transport-wide congestion control with publishers: the relay's transport feedback drives
    /// their own send-side estimate (GCC), which adapts to their uplink. Their padding-only probes are
    /// counted and never forwarded.
    public var transportFeedbackToPublishers = true
    /// The send-side estimator run per subscriber leg (GCC on its transport-cc feedback). The history
    /// holds 2,048 sent packets (~50 KB a leg): feedback comes every 50–100 ms, so that is seconds of sends.
    /// Probes for a higher layer last 50 ms: the worker's timers wake late by a few ms under load, and a
    /// 15 ms probe's late last packet made it read ~20 % low, under the estimate it was meant to lift. They
    /// also send at least 10 KB: a home link's shaper passes its burst allowance (a few KB) at line rate,
    /// so a probe must outlast it for its second half to show the link's rate (50 ms of padding at
    /// 750 kbit/s fit inside a 500 kbit/s link's 4.5-KB burst and read 600-1,000 kbit/s). 150 ms at every
    /// rate tripled fast legs' padding, and in a full browser run the lecture's uncapped learners then
    /// stayed on the middle layer.
    public var bandwidthEstimation = SendSideBandwidthEstimator.Configuration(
        initialBitrate: 1_000_000, minimumBitrate: 50_000, maximumBitrate: 20_000_000, historyCapacity: 2_048,
        requestProbeDuration: 50_000_000, requestProbeMinimumBytes: 10_000)
    /// Limits that keep one client from making the relay do N× work (issue: hostile peers).
    public var limits = RelayLimits()
    /// Which SRTP implementation keys the peers' contexts; nil: the cheaper one for the negotiated profile
    /// (OpenSSL EVP for AES-GCM, libsrtp for AES-CM). Set to compare them on the same traffic.
    public var srtpBackend: SRTPContext.Backend?
    /// Frees each peer's OpenSSL DTLS association (~40 KB) once the peer's first SRTP or SRTCP shows its
    /// handshake is over, keeping only the record keys its alerts need (`DTLSConnection.retire()`).
    /// Off keeps the association for the connection's life (to compare memory on the same build).
    public var retiresDTLS = true
    /// Starts every participant id this engine makes, so a process running several engines (workers)
    /// knows from an id alone which one holds that participant.
    public var participantIDPrefix = ""

    public init(announcedAddresses: [String] = ["127.0.0.1"], port: UInt16) {
        self.announcedAddresses = announcedAddresses
        self.port = port
    }
}
