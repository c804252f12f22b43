/// The relay's send-side bandwidth estimate toward one leg and the inputs it came from (the
/// participant's transport-cc feedback on what the relay sent it), for the leg's statistics: why a
/// learner got a lower layer is then visible after the session.
public struct BandwidthStatistics: Sendable, Equatable {
    /// What the relay may send this leg, bits per second (the smaller of the delay- and loss-based estimates).
    public var estimate: UInt64
    /// What the participant acknowledged receiving over the last feedback window, bits per second.
    public var acknowledged: UInt64?
    /// Fraction of the packets its feedback reported lost, 0...1.
    public var lossFraction: Double
    /// The round trip the relay measures to it, if known.
    public var roundTripMilliseconds: Double?
    /// The delay detector's verdict: `normal`, `overusing` or `underusing`.
    public var delayState: String

    public init(
        estimate: UInt64, acknowledged: UInt64? = nil, lossFraction: Double = 0, roundTripMilliseconds: Double? = nil,
        delayState: String = "normal"
    ) {
        self.estimate = estimate
        self.acknowledged = acknowledged
        self.lossFraction = lossFraction
        self.roundTripMilliseconds = roundTripMilliseconds
        self.delayState = delayState
    }
}
