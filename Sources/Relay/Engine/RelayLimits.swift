/// Bounds on what one client can make the relay hold or do. Every one of them answers a way a single
/// token holder, or a stranger on the UDP port, could otherwise multiply the relay's work or memory.
public struct RelayLimits: Sendable, Equatable {
    /// m-lines in one offer. A WebRTC client uses two (audio, video); a screen share or simulcast a few
    /// more. More is refused before any per-section work is done.
    public var mediaSectionsPerOffer = 16
    /// Simultaneous connections of one user in one worker. The room socket uses two (publish and
    /// subscribe); the rest is room for reconnects, several tabs and WHIP/WHEP tools.
    public var connectionsPerUser = 16
    /// Simultaneous connections made with one room token (a leaked token replayed many times).
    public var connectionsPerToken = 16
    /// m-sections of one subscribe connection the relay offers (the room socket): other members' tracks
    /// received at once. Slots are reused, so this bounds tracks live at one time, not churn.
    public var mediaSectionsPerSubscription = 64
    /// Participants (connected or connecting) and rooms one worker accepts.
    public var participantsPerWorker = 4_000
    public var roomsPerWorker = 1_000
    /// Distinct RTCP sender SSRCs accepted from one participant beyond its published tracks' own (a
    /// receive-only browser reports from one local SSRC). Others are dropped before SRTP, so they never
    /// make libsrtp create stream state.
    public var rtcpSendersPerParticipant = 4
    /// Retransmissions one subscriber leg may cost, as a share of what the leg carries plus a burst.
    public var retransmissionShare = 0.10
    public var retransmissionBurstBytes = 24_000
    /// A lost packet is resent at most once per this window however often it is NACKed (roughly one
    /// round trip: a second NACK sooner is the same loss reported again).
    public var retransmissionWindow: Duration = .milliseconds(100)
    /// STUN error responses (bad integrity, role conflicts) per participant per second; the rest of a
    /// flood of forged checks is dropped unanswered.
    public var stunErrorResponsesPerSecond = 10

    public init() {}
}
