/// How soon a consumer may switch up again after a switch up that its link did not hold.
///
/// Each switch up costs a keyframe. On a link near a layer's bitrate the estimate (lifted by a probe that a
/// shaper's burst let through) can say "fits" a moment before the queue says otherwise, and the consumer
/// then moves up and down every second or two, each time pushing a keyframe into a full queue. A switch
/// down within `failureWindow` of the switch up makes the next switch up wait `hold`: 2 s, then 4 s (at
/// most: a longer hold kept a learner whose cap lifted off the top layer past 10 s); staying up for
/// `clearAfter` forgets the failures. A budget of `clearMargin` times
/// the layer's bitrate is no marginal fit and switches at once, so a cap that lifts (whose probes find
/// twice the estimate) is not held back. Times are the engine clock's nanoseconds.
struct UpSwitchBackoff: Equatable {
    static let failureWindow: Int64 = 4_000_000_000
    static let initialHold: Int64 = 2_000_000_000
    static let maximumHold: Int64 = 4_000_000_000
    static let clearAfter: Int64 = 10_000_000_000
    static let clearMargin = 1.5

    /// When the last switch up was decided, while it may still turn out a failure.
    private var upAt: Int64?
    private(set) var hold: Int64 = 0
    private(set) var notBefore: Int64 = .min

    /// Whether a switch up to a layer of `bitsPerSecond` may be decided at `now` with `budget` to spend.
    func allows(bitsPerSecond: UInt64, budget: UInt64?, now: Int64) -> Bool {
        guard now < notBefore, let budget else { return true }
        return Double(budget) >= Self.clearMargin * Double(bitsPerSecond)
    }

    mutating func switchedUp(at now: Int64) {
        upAt = now
    }

    mutating func switchedDown(at now: Int64) {
        defer { upAt = nil }
        guard let upAt, now.subtractingReportingOverflow(upAt).partialValue < Self.failureWindow else { return }
        hold = hold == 0 ? Self.initialHold : min(hold * 2, Self.maximumHold)
        notBefore = now.addingReportingOverflow(hold).partialValue
    }

    /// On each review: a layer held for `clearAfter` since the switch up clears the failures.
    mutating func review(at now: Int64) {
        guard let upAt, now.subtractingReportingOverflow(upAt).partialValue >= Self.clearAfter else { return }
        hold = 0
        notBefore = .min
        self.upAt = nil
    }
}
