import Foundation

/// The delay-based rate: additive-increase/multiplicative-decrease driven by the trendline's
/// verdict (draft-ietf-rmcat-gcc §5.5; libwebrtc's `AimdRateControl`).
///
/// - normal: increase. Far from the last congested rate, by 8 %/s (multiplicative, to find a new
///   link quickly); near it, by about one packet per response time (additive, to sit just below it).
/// - overusing: cut to 0.85 × the acknowledged rate, which drains the queue the overuse built.
/// - underusing: hold, so the draining queue is not refilled at once.
/// The increase is capped at 1.5 × acknowledged + 10 kbit/s: claiming far more than is delivered
/// would only make the next cut deeper.
public struct AimdRateControl: Sendable {
    public enum State: String, Sendable {
        case hold, increase, decrease
    }

    /// Decrease factor (draft §5.5 β = 0.85).
    public static let beta = 0.85
    /// Multiplicative increase per second (draft §5.5: η ≈ 1.08).
    public static let multiplicativeIncreasePerSecond = 1.08
    /// Additive increase assumes packets of this size and frames at this rate (libwebrtc).
    static let packetSizeBits = 1200.0 * 8
    static let framesPerSecond = 30.0
    /// Additive increase is never slower than this (libwebrtc: 4 kbit/s per second).
    static let minimumAdditiveIncrease = 4000.0
    /// The response time is RTT plus this (libwebrtc: 100 ms).
    static let responseTimeMargin = 0.1
    /// Minimum interval between decreases is the RTT clamped to this range (libwebrtc).
    static let reductionInterval: ClosedRange<Int64> = 10_000_000...200_000_000

    public private(set) var estimate: UInt64
    public private(set) var state: State = .increase
    public private(set) var linkCapacity = LinkCapacityEstimator()
    public let minimum: UInt64
    public let maximum: UInt64
    private var lastChange: Int64?
    private var lastDecrease: Int64?

    public init(initial: UInt64, minimum: UInt64, maximum: UInt64) {
        self.minimum = minimum
        self.maximum = max(maximum, minimum)
        estimate = min(max(initial, minimum), self.maximum)
    }

    /// Applies one detector verdict; `rtt` in ns, `now` on the sender's clock.
    @discardableResult
    public mutating func update(
        usage: BandwidthUsage, acknowledgedBitrate: UInt64?, rtt: Int64, at now: Int64
    ) -> UInt64 {
        switch usage {
        case .normal:
            if state == .hold {
                state = .increase
                lastChange = now  // the climb starts now, not at the last cut
            }
        case .overusing:
            guard timeToReduceFurther(acknowledgedBitrate: acknowledgedBitrate, rtt: rtt, now: now) else {
                return estimate
            }
            state = .decrease
        case .underusing:
            state = .hold
        }
        switch state {
        case .hold: break
        case .increase: increase(acknowledgedBitrate: acknowledgedBitrate, rtt: rtt, now: now)
        case .decrease: decrease(acknowledgedBitrate: acknowledgedBitrate, now: now)
        }
        return estimate
    }

    /// Sets the rate from outside, e.g. a probe's measured rate.
    public mutating func setEstimate(_ bitrate: UInt64, at now: Int64) {
        estimate = clamp(bitrate)
        lastChange = now
    }

    private mutating func increase(acknowledgedBitrate: UInt64?, rtt: Int64, now: Int64) {
        if let acknowledgedBitrate, let upper = linkCapacity.upperBound, acknowledgedBitrate > upper {
            linkCapacity.reset()  // delivered more than the link was thought to carry: it changed
        }
        let elapsed = min(Double(max(now.saturatingSubtract(lastChange ?? now), 0)) / 1e9, 1)
        let current = Double(estimate)
        let increment: Double
        if linkCapacity.estimate != nil {
            increment = additiveIncreasePerSecond(rtt: rtt) * elapsed
        } else {
            increment = max(current * (pow(Self.multiplicativeIncreasePerSecond, elapsed) - 1), 1000)
        }
        var updated = current + increment
        if let acknowledgedBitrate {
            let limit = 1.5 * Double(acknowledgedBitrate) + 10_000
            // Never climb past the limit; but an estimate already above it (set by a probe) stays.
            updated = min(updated, max(limit, current))
        }
        estimate = clamp(UInt64(clamping: updated))
        lastChange = now
    }

    private mutating func decrease(acknowledgedBitrate: UInt64?, now: Int64) {
        let measured = Double(acknowledgedBitrate ?? estimate)
        var decreased = Self.beta * measured
        if decreased > Double(estimate), let capacity = linkCapacity.estimate {
            decreased = Self.beta * Double(capacity)
        }
        if decreased < Double(estimate) { estimate = clamp(UInt64(clamping: decreased)) }
        if let acknowledgedBitrate {
            if let lower = linkCapacity.lowerBound, acknowledgedBitrate < lower { linkCapacity.reset() }
            linkCapacity.onOveruse(acknowledgedBitrate: acknowledgedBitrate)
        }
        state = .hold
        lastChange = now
        lastDecrease = now
    }

    /// Cut again only after an RTT has let the previous cut take effect, unless delivery collapsed.
    private func timeToReduceFurther(acknowledgedBitrate: UInt64?, rtt: Int64, now: Int64) -> Bool {
        guard let lastDecrease else { return true }
        let interval = min(max(rtt, Self.reductionInterval.lowerBound), Self.reductionInterval.upperBound)
        if now.saturatingSubtract(lastDecrease) >= interval { return true }
        if let acknowledgedBitrate { return acknowledgedBitrate < estimate / 2 }
        return false
    }

    /// About one average packet per response time (libwebrtc's near-max increase rate).
    private func additiveIncreasePerSecond(rtt: Int64) -> Double {
        let bitsPerFrame = Double(estimate) / Self.framesPerSecond
        let packetsPerFrame = max((bitsPerFrame / Self.packetSizeBits).rounded(.up), 1)
        let packetBits = bitsPerFrame / packetsPerFrame
        let responseTime = Double(max(rtt, 0)) / 1e9 + Self.responseTimeMargin
        return max(Self.minimumAdditiveIncrease, packetBits / responseTime)
    }

    private func clamp(_ bitrate: UInt64) -> UInt64 { min(max(bitrate, minimum), maximum) }
}
