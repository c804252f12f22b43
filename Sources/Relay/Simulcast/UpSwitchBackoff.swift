/// How soon a consumer may switch up again after a switch up that its link did not hold.
///
/// Each switch up costs a keyframe. On a link near a layer's bitrate the estimate (lifted by a probe that a
/// shaper's burst let through) can say "fits" a moment before the queue says otherwise, and the consumer
/// then moves up and down every second or two, each time pushing a keyframe into a full queue. A switch
/// down within `failureWindow` of the switch up makes the next switch up wait `hold`: 2 s, doubling to
/// 16 s while it keeps failing; staying up for `clearAfter` forgets the failures.
///
/// A hold does not stand in the way of a link that changed, and only holds the layer that failed. A budget
/// of `clearMargin` times the layer's bitrate is no marginal fit and switches at once; a layer above the
/// one that failed is not held (its switch needs its own, higher, estimate). So when a cap lifts, the
/// probes' climbing estimate passes 1.5× the failed layer within a few round trips and the layers above it
/// follow as soon as they fit. Only the same marginal budget for the same layer, again and again, waits.
/// (A 4 s maximum let a capped learner of the lecture scenario try the layer its 500 kbit/s link cannot
/// carry every ~4.5 s, each try losing ~0.5% of the window; a global 8 s hold kept a learner whose cap
/// lifted off the top layer past 10 s, because the top layer's switch was held by the middle one's
/// failures.) Times are the engine clock's nanoseconds.
struct UpSwitchBackoff: Equatable {
    static let failureWindow: Int64 = 4_000_000_000
    static let initialHold: Int64 = 2_000_000_000
    static let maximumHold: Int64 = 16_000_000_000
    static let clearAfter: Int64 = 10_000_000_000
    static let clearMargin = 1.5

    /// When the last switch up was decided, and to which layer (its rank, lowest 0), while it may still fail.
    private var upAt: Int64?
    private var upLayer: Int?
    /// The rank of the layer whose switch up failed last; the hold is for it and the layers below. (A rank,
    /// not the layer's bitrate: measured bitrates drift, and a drift up must not look like another layer.)
    private(set) var failedLayer: Int?
    private(set) var hold: Int64 = 0
    private(set) var notBefore: Int64 = .min

    /// Whether a switch up to the layer of rank `layer` and `bitsPerSecond` may be decided at `now` with
    /// `budget` to spend.
    func allows(layer: Int, bitsPerSecond: UInt64, budget: UInt64?, now: Int64) -> Bool {
        guard now < notBefore, let budget else { return true }
        if let failedLayer, layer > failedLayer { return true }
        return Double(budget) >= Self.clearMargin * Double(bitsPerSecond)
    }

    mutating func switchedUp(at now: Int64, layer: Int) {
        upAt = now
        upLayer = layer
    }

    mutating func switchedDown(at now: Int64) {
        defer {
            upAt = nil
            upLayer = nil
        }
        guard let upAt, now.subtractingReportingOverflow(upAt).partialValue < Self.failureWindow else { return }
        hold = hold == 0 ? Self.initialHold : min(hold * 2, Self.maximumHold)
        notBefore = now.addingReportingOverflow(hold).partialValue
        failedLayer = upLayer
    }

    /// On each review: a layer held for `clearAfter` since the switch up clears the failures.
    mutating func review(at now: Int64) {
        guard let upAt, now.subtractingReportingOverflow(upAt).partialValue >= Self.clearAfter else { return }
        hold = 0
        notBefore = .min
        failedLayer = nil
        self.upAt = nil
        upLayer = nil
    }
}
