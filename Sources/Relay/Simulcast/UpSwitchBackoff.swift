/// How soon a consumer may switch up again after a switch up that its link did not hold.
///
/// Each switch up costs a keyframe. On a link near a layer's bitrate the estimate (lifted by a probe that a
/// shaper's burst let through) can say "fits" a moment before the queue says otherwise, and the consumer
/// then moves up and down every second or two, each time pushing a keyframe into a full queue. A switch
/// down within `failureWindow` of the switch up makes the next switch up wait `hold`: 2 s, doubling to
/// 16 s while it keeps failing; staying up for `clearAfter` forgets the failures.
///
/// A hold does not stand in the way of a link that changed, and only holds the layer that failed. A budget
/// of 1.5× (`clearMarginHalves`) what the failed switch had (the layer's bitrate or the budget it was decided
/// on, whichever is more; for a layer below the failed one, its own bitrate) is no marginal fit and switches
/// at once; a layer above the one that failed is not held (its switch needs its own, higher, estimate). While held, the leg probes for that clearing budget
/// (`clearingBudget`), so when a cap lifts the probe proves it within a round trip and the layers above
/// follow as soon as they fit. Only the same marginal budget for the same layer, again and again, waits.
/// (A 4 s maximum let a capped learner of the lecture scenario try the layer its 500 kbit/s link cannot
/// carry every ~4.5 s, each try losing ~0.5% of the window; a global 8 s hold kept a learner whose cap
/// lifted off the top layer past 10 s, because the top layer's switch was held by the middle one's
/// failures; a margin over the layer's bitrate alone let an estimate that an underused 500 kbit/s link
/// never bounds, 600-700 kbit/s, retry the 420 kbit/s layer within the hold.) Times are the engine
/// clock's nanoseconds.
struct UpSwitchBackoff: Equatable {
    static let failureWindow: Int64 = 4_000_000_000
    static let initialHold: Int64 = 2_000_000_000
    static let maximumHold: Int64 = 16_000_000_000
    static let clearAfter: Int64 = 10_000_000_000
    /// The clearing margin in halves: 1.5×.
    static let clearMarginHalves: UInt64 = 3

    /// When the last switch up was decided, and to which layer (its rank, lowest 0), while it may still fail.
    private var upAt: Int64?
    private var upLayer: Int?
    private var upBudget: UInt64?
    /// The rank of the layer whose switch up failed last; the hold is for it and the layers below. (A rank,
    /// not the layer's bitrate: measured bitrates drift, and a drift up must not look like another layer.)
    private(set) var failedLayer: Int?
    /// The budget the failed switch up was decided on.
    private(set) var failedBudget: UInt64?
    private(set) var hold: Int64 = 0
    private(set) var notBefore: Int64 = .min

    /// Whether a switch up to the layer of rank `layer` and `bitsPerSecond` may be decided at `now` with
    /// `budget` to spend.
    func allows(layer: Int, bitsPerSecond: UInt64, budget: UInt64?, now: Int64) -> Bool {
        guard let budget, let clearing = clearingBudget(layer: layer, bitsPerSecond: bitsPerSecond, now: now) else {
            return true
        }
        return budget >= clearing
    }

    /// The budget that switches up to the layer of rank `layer` at `now` despite the hold; nil when it is
    /// not held.
    func clearingBudget(layer: Int, bitsPerSecond: UInt64, now: Int64) -> UInt64? {
        guard now < notBefore else { return nil }
        if let failedLayer, layer > failedLayer { return nil }
        // The budget a switch failed with says how much that layer needs, not what a layer below it does.
        let base = layer == failedLayer ? max(bitsPerSecond, failedBudget ?? 0) : bitsPerSecond
        let (clearing, overflow) = base.multipliedReportingOverflow(by: Self.clearMarginHalves)
        return overflow ? .max : clearing / 2
    }

    mutating func switchedUp(at now: Int64, layer: Int, budget: UInt64?) {
        upAt = now
        upLayer = layer
        upBudget = budget
    }

    mutating func switchedDown(at now: Int64) {
        defer {
            upAt = nil
            upLayer = nil
            upBudget = nil
        }
        guard let upAt, now.subtractingReportingOverflow(upAt).partialValue < Self.failureWindow else { return }
        hold = hold == 0 ? Self.initialHold : min(hold * 2, Self.maximumHold)
        notBefore = now.addingReportingOverflow(hold).partialValue
        failedLayer = upLayer
        failedBudget = upBudget
    }

    /// On each review: a layer held for `clearAfter` since the switch up clears the failures.
    mutating func review(at now: Int64) {
        guard let upAt, now.subtractingReportingOverflow(upAt).partialValue >= Self.clearAfter else { return }
        hold = 0
        notBefore = .min
        failedLayer = nil
        failedBudget = nil
        self.upAt = nil
        upLayer = nil
        upBudget = nil
    }
}
