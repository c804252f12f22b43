/// Where the link's capacity probably is, learned from the acknowledged rate at each overuse
/// (libwebrtc's `LinkCapacityEstimator`).
///
/// Near it the rate controller climbs additively (carefully, it was congested there before); far
/// from it, multiplicatively. An average with a normalized variance: the band is ±3 standard
/// deviations, and an acknowledged rate above the band means the link changed, so it is forgotten.
public struct LinkCapacityEstimator: Sendable {
    /// Weight of a new sample (libwebrtc: 0.05).
    static let smoothing = 0.05
    /// Bounds of the variance, normalized by the estimate (in kbit/s), as libwebrtc.
    static let varianceRange: ClosedRange<Double> = 0.4...2.5

    /// kbit/s, nil when unknown.
    public private(set) var estimateKbps: Double?
    private var variance = 0.4

    public init() {}

    public var upperBound: UInt64? {
        estimateKbps.map { UInt64(clamping: ($0 + 3 * deviationKbps($0)) * 1000) }
    }

    public var lowerBound: UInt64? {
        estimateKbps.map { UInt64(clamping: max(0, $0 - 3 * deviationKbps($0)) * 1000) }
    }

    public var estimate: UInt64? { estimateKbps.map { UInt64(clamping: $0 * 1000) } }

    public mutating func onOveruse(acknowledgedBitrate: UInt64) {
        let sample = Double(acknowledgedBitrate) / 1000
        guard let current = estimateKbps else {
            estimateKbps = sample
            return
        }
        let updated = (1 - Self.smoothing) * current + Self.smoothing * sample
        let error = updated - sample
        variance = (1 - Self.smoothing) * variance + Self.smoothing * error * error / max(updated, 1)
        variance = min(max(variance, Self.varianceRange.lowerBound), Self.varianceRange.upperBound)
        estimateKbps = updated
    }

    public mutating func reset() {
        estimateKbps = nil
    }

    private func deviationKbps(_ estimate: Double) -> Double {
        (variance * estimate).squareRoot()
    }
}
