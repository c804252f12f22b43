/// The loss-based rate (draft-ietf-rmcat-gcc §6; libwebrtc's `SendSideBandwidthEstimation`):
/// loss under 2 % is noise and the rate may grow, 2-10 % is tolerated, over 10 % means the rate
/// itself causes it, so it is cut in proportion: rate × (1 − 0.5 × loss).
///
/// It complements the delay-based rate on paths whose queues are too short to show delay (the loss
/// comes first) and keeps a share against loss-based flows. Losses are counted over at least
/// `minimumPackets` so a single drop in a small feedback is not read as 50 % loss.
public struct LossBasedEstimator: Sendable {
    /// Below this the rate grows (draft §6: 2 %).
    public static let lowLoss = 0.02
    /// Above this the rate is cut (draft §6: 10 %).
    public static let highLoss = 0.10
    /// Growth per second while loss is low (draft §6: 8 %), on top of 1 kbit/s.
    public static let increaseFactor = 1.08
    /// Fewest packets a loss ratio is computed over (libwebrtc `kLimitNumPackets`: 20).
    public static let minimumPackets = 20
    /// Cuts are at least this plus an RTT apart, so one cut is seen before the next (libwebrtc: 300 ms).
    public static let decreaseInterval: Int64 = 300_000_000

    public private(set) var estimate: UInt64
    /// The last loss ratio computed, 0 ... 1.
    public private(set) var lossRatio = 0.0
    public let minimum: UInt64
    public let maximum: UInt64

    private var expected = 0
    private var lost = 0
    private var lastDecrease: Int64?
    private var targetHistory = MinimumHistory(window: 1_000_000_000)

    public init(initial: UInt64, minimum: UInt64, maximum: UInt64) {
        self.minimum = minimum
        self.maximum = max(maximum, minimum)
        estimate = min(max(initial, minimum), self.maximum)
    }

    /// Counts one feedback's news: `received` and `lost` new reports, `recovered` earlier losses
    /// that arrived after all. `target` is the combined target now in force.
    public mutating func update(
        received: Int, lost newlyLost: Int, recovered: Int, target: UInt64, rtt: Int64, at now: Int64
    ) {
        let minimumTarget = targetHistory.add(target, at: now)
        expected += max(received, 0) + max(newlyLost, 0) - max(recovered, 0)
        lost = max(lost + max(newlyLost, 0) - max(recovered, 0), 0)
        expected = max(expected, lost)
        guard expected >= Self.minimumPackets else { return }
        lossRatio = Double(lost) / Double(expected)
        expected = 0
        lost = 0

        // Never hold or cut from above the rate actually in force.
        let base = min(estimate, target)
        if lossRatio < Self.lowLoss {
            estimate = clamp(UInt64(clamping: Double(minimumTarget) * Self.increaseFactor + 1000))
        } else if lossRatio <= Self.highLoss {
            estimate = base
        } else {
            let interval = Self.decreaseInterval.saturatingAdd(max(rtt, 0))
            if let lastDecrease, now.saturatingSubtract(lastDecrease) < interval {
                estimate = base
            } else {
                lastDecrease = now
                estimate = clamp(UInt64(clamping: Double(base) * (1 - 0.5 * lossRatio)))
            }
        }
    }

    /// Lifts the rate to a probe's measured rate (a probe that got through shows the loss was not ours).
    /// The lower targets before it no longer bound the growth (libwebrtc clears its history too).
    public mutating func raise(to bitrate: UInt64) {
        estimate = max(estimate, clamp(bitrate))
        targetHistory.removeAll()
    }

    private func clamp(_ bitrate: UInt64) -> UInt64 { min(max(bitrate, minimum), maximum) }
}
