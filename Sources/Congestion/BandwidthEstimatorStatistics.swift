/// A subscriber leg's estimate and what it was made of, for the leg's statistics.
public struct BandwidthEstimatorStatistics: Sendable, Equatable {
    /// What the leg may send: min(delay-based, loss-based) within the configured bounds, bits/s.
    public var targetBitrate: UInt64
    public var delayBasedBitrate: UInt64
    public var lossBasedBitrate: UInt64
    /// Rate the receiver got over the last ~500 ms; nil until known.
    public var acknowledgedBitrate: UInt64?
    /// Loss over the last ≥ 20 packets reported, 0 ... 1.
    public var lossRatio: Double
    /// Trendline slope (ms of queueing per ms), its scaled form and the adaptive threshold it is held
    /// against.
    public var trendlineSlope: Double
    public var trendlineModifiedTrend: Double
    public var trendlineThreshold: Double
    public var usage: BandwidthUsage
    public var rateControlState: AimdRateControl.State
    public var probeState: ProbeController.State
    /// The last conclusive probe result, bits/s.
    public var lastProbeBitrate: UInt64?
    /// Smoothed feedback round trip (send of the newest acknowledged packet → its feedback), ns.
    public var roundTripTime: Int64
    public var feedbackCount: UInt64
}
