/// How long joins take on the relay: from the join call (the signaling request reaching the engine) to DTLS
/// completing, and to the first media packet forwarded to or received from the participant. Summed over
/// workers like the other counters; `/metrics` exports both as Prometheus histograms.
public struct JoinTimes: Sendable, Equatable {
    /// 10 ms to 10 s.
    public static let bounds: [Int64] = [
        10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000, 1_000_000_000,
        2_500_000_000, 5_000_000_000, 10_000_000_000,
    ]
    public private(set) var connected = BucketHistogram(bounds: bounds)
    public private(set) var firstMedia = BucketHistogram(bounds: bounds)

    public init() {}

    mutating func recordConnected(after elapsed: Duration) {
        connected.record(nanoseconds: Self.nanoseconds(elapsed))
    }

    mutating func recordFirstMedia(after elapsed: Duration) {
        firstMedia.record(nanoseconds: Self.nanoseconds(elapsed))
    }

    mutating func add(_ other: JoinTimes) {
        connected.add(other.connected)
        firstMedia.add(other.firstMedia)
    }

    /// Clamped to 1 h: a join is never longer, and the sums must not overflow.
    private static func nanoseconds(_ elapsed: Duration) -> Int64 {
        let (seconds, attoseconds) = elapsed.components
        guard seconds < 3_600 else { return 3_600_000_000_000 }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// One participant's join, phase by phase, handed out once so the server can make a trace of it after the
/// fact (`RelayServer.JoinTracer`): at its first media packet, or when it ends before any (a failed join is the
/// one an operator wants to see). The engine only notes instants.
public struct JoinTimeline: Sendable, Equatable {
    public let identity: ParticipantIdentity
    /// The join call reached the engine (the signaling answer follows at once).
    public let joined: ContinuousClock.Instant
    /// The peer's first valid ICE connectivity check (the relay is ICE-lite: that proves the path); nil when
    /// none came.
    public let iceChecked: ContinuousClock.Instant?
    /// DTLS completed.
    public let connected: ContinuousClock.Instant?
    /// The first media packet to or from the participant; nil for a join that ended before any.
    public let firstMedia: ContinuousClock.Instant?
    /// When and why a join without media ended.
    public let endedAt: ContinuousClock.Instant?
    public let endReason: LeaveReason?
}
