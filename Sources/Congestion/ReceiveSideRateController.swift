/// What a receiver without the sender's transport-cc asks for in REMB: computed from what actually
/// arrives, never a constant. It starts from the first interval's received rate (1.5× it, as libwebrtc's
/// remote estimator initializes from measured throughput), then each report interval applies GCC's loss
/// rule (draft-ietf-rmcat-gcc §6): above 10% loss it cuts by half the loss, between 2% and 10% it holds,
/// below it climbs 8% a second but never past 1.5× what arrives plus 10 kbit/s. A quiet sender (a still
/// screen share) neither pulls it down nor lets it climb.
public struct ReceiveSideRateController: Sendable, Equatable {
    /// Nil until the first interval was measured.
    public private(set) var bitrate: UInt64?
    public let minimum: UInt64
    public let maximum: UInt64

    public init(minimum: UInt64 = 50_000, maximum: UInt64 = 2_500_000) {
        self.minimum = min(minimum, maximum)
        self.maximum = maximum
    }

    /// One report interval: `received` bits/s over it, `lossFraction` 0...1, `elapsed` its length (ns).
    /// Returns the new estimate.
    @discardableResult
    public mutating func update(received: UInt64, lossFraction: Double, elapsed: Int64) -> UInt64 {
        let loss = lossFraction.isFinite ? Swift.min(Swift.max(lossFraction, 0), 1) : 0
        let seconds = Double(Swift.min(Swift.max(elapsed, 0), 5_000_000_000)) / 1e9
        let ceiling = 1.5 * Double(received) + 10_000
        var next: Double
        if let bitrate {
            next = Double(bitrate)
            if loss > 0.10 {
                next *= 1 - 0.5 * loss
            } else if loss < 0.02 {
                // Climb, but not past what arrives justifies; never lowered for a quiet sender.
                next = Swift.max(Double(bitrate), Swift.min(next * (1 + 0.08 * seconds), ceiling))
            }
        } else {
            next = ceiling * (loss > 0.10 ? 1 - 0.5 * loss : 1)
        }
        let result = UInt64(Swift.min(Swift.max(next, Double(minimum)), Double(maximum)))
        bitrate = result
        return result
    }
}
