import DTLS
import ICE
import SRTP
import STUN

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

    public init() {}
}

/// One WebRTC peer connection through the relay: its ICE, DTLS and SRTP state, the tracks it
/// publishes and the legs the relay sends it. Confined to its engine's event loop.
final class Participant {
    let identity: ParticipantIdentity
    /// The room token's id (`jti`), to bound how many connections one token makes.
    let tokenID: String?
    var ice: ICELiteAgent
    let dtls: DTLSConnection
    var inbound: SRTPContext?
    var outbound: SRTPContext?
    /// Where media goes: the nominated ICE pair's remote address.
    var remote: TransportAddress?
    /// Every address that passed a connectivity check, so stray packets from them can be routed. Kept
    /// to the ICE agent's bounded pair list.
    var knownAddresses: Set<TransportAddress> = []
    /// SSRCs this participant sends RTCP from besides its published tracks' (a receive-only browser
    /// uses a local one). Bounded, so SRTCP never keeps stream state for arbitrary SSRCs.
    var rtcpSenders: [UInt32] = []
    /// STUN error responses sent in the current second (see `RelayLimits.stunErrorResponsesPerSecond`).
    var errorResponses: (second: Int64, count: Int) = (0, 0)
    var published: [PublishedTrack] = []
    var legs: [DownstreamLeg] = []
    /// Whose tracks this participant watches: a user id, or nil for the room's host.
    let watching: String?
    /// The SSRC the relay uses as RTCP sender toward this participant (RR, PLI, REMB).
    let relaySSRC: UInt32
    let joinedAt: ContinuousClock.Instant
    var connectedAt: ContinuousClock.Instant?
    var nextReportAt: ContinuousClock.Instant
    var nextStatisticsAt: ContinuousClock.Instant
    var statistics = ParticipantStatistics()

    init(
        identity: ParticipantIdentity, tokenID: String?, ice: ICELiteAgent, dtls: DTLSConnection, watching: String?,
        relaySSRC: UInt32, now: ContinuousClock.Instant
    ) {
        self.identity = identity
        self.tokenID = tokenID
        self.ice = ice
        self.dtls = dtls
        self.watching = watching
        self.relaySSRC = relaySSRC
        self.joinedAt = now
        self.nextReportAt = now + .seconds(1)
        self.nextStatisticsAt = now + .seconds(5)
    }

    var isConnected: Bool { outbound != nil }

    /// Whether RTP with this clear-header SSRC and payload type can belong to a published track, checked
    /// before SRTP so packets for other SSRCs never make libsrtp create stream state.
    func mayPublish(ssrc: UInt32, payloadType: UInt8) -> Bool {
        for track in published where track.ssrc == ssrc || (track.ssrc == nil && track.media.payloadType == payloadType) {
            return true
        }
        return false
    }

    /// Whether SRTCP from this sender SSRC is accepted: a published track's, a known RTCP sender, or a
    /// new one while there is room for it.
    func mayReport(from ssrc: UInt32, limit: Int) -> Bool {
        for track in published where track.ssrc == ssrc { return true }
        return rtcpSenders.contains(ssrc) || rtcpSenders.count < limit
    }

    func recordReporter(_ ssrc: UInt32) {
        for track in published where track.ssrc == ssrc { return }
        if !rtcpSenders.contains(ssrc) { rtcpSenders.append(ssrc) }
    }

    func track(ssrc: UInt32, payloadType: UInt8) -> PublishedTrack? {
        for track in published where track.ssrc == ssrc { return track }
        // No SSRC in the SDP (rid-only offers): bind the first unbound track with this payload type.
        for track in published where track.ssrc == nil && track.media.payloadType == payloadType {
            track.ssrc = ssrc
            return track
        }
        return nil
    }

    func leg(localSSRC: UInt32) -> DownstreamLeg? {
        for leg in legs where leg.media.localSSRC == localSSRC { return leg }
        return nil
    }

    func snapshot(now: ContinuousClock.Instant) -> ParticipantStatistics {
        var result = statistics
        result.secondsInRoom = connectedAt.map { Self.seconds(now - $0) } ?? 0
        var lost: Int64 = 0
        var jitter = 0.0
        for track in published {
            lost += track.statistics.cumulativeLost
            jitter = max(jitter, track.statistics.jitterMilliseconds)
        }
        for leg in legs {
            jitter = max(jitter, Double(leg.reportedJitter) * 1_000 / Double(leg.media.clockRate))
        }
        result.packetsLost = lost
        result.jitterMilliseconds = jitter
        result.audioOnly = published.contains { $0.media.kind == .audio } && !published.contains { $0.media.kind == .video }
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
