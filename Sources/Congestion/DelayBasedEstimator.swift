/// The delay-based half of GCC: packet groups → trendline → AIMD (libwebrtc's `DelayBasedBwe`).
///
/// A probe result that got through lifts the rate at once, unless the detector sees overuse: then
/// the queue the probe just built is the stronger signal.
public struct DelayBasedEstimator: Sendable {
    public private(set) var interArrival = InterArrival()
    public private(set) var trendline = TrendlineEstimator()
    public private(set) var rateControl: AimdRateControl

    public init(initial: UInt64, minimum: UInt64, maximum: UInt64) {
        rateControl = AimdRateControl(initial: initial, minimum: minimum, maximum: maximum)
    }

    public var estimate: UInt64 { rateControl.estimate }
    public var usage: BandwidthUsage { trendline.usage }

    /// Feeds one received packet, in send order.
    public mutating func add(_ result: PacketResult) {
        guard let arrival = result.arrivalTime,
              let deltas = interArrival.add(sendTime: result.sendTime, arrivalTime: arrival, size: result.size)
        else { return }
        trendline.update(deltas)
    }

    /// Updates the rate once a feedback's packets have been added.
    @discardableResult
    public mutating func update(
        acknowledgedBitrate: UInt64?, probeBitrate: UInt64?, rtt: Int64, at now: Int64
    ) -> UInt64 {
        if let probeBitrate, usage != .overusing, probeBitrate > rateControl.estimate {
            rateControl.setEstimate(probeBitrate, at: now)
            return rateControl.estimate
        }
        return rateControl.update(usage: usage, acknowledgedBitrate: acknowledgedBitrate, rtt: rtt, at: now)
    }
}
