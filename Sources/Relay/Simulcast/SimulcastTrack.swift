/// One simulcast video track as the publisher sends it (RFC 8853): its layers, low to high, what they
/// measure, and which of them any subscriber wants, so the publisher can pause the rest (dynacast).
final class SimulcastTrack {
    /// In the order of the offer's `a=simulcast:send`; `ranked` orders them by resolution.
    private(set) var layers: [Producer] = []
    /// Layer indices from smallest to largest picture: by the keyframes' sizes once every layer has sent
    /// one, by the offer's order until then (Chromium lists its `sendEncodings`, usually low first).
    private(set) var ranked: [Int] = []
    /// What the publisher was last told (or assumed at the start: everything it offered unpaused).
    private(set) var reportedActive: [Bool] = []
    /// Since when nobody has wanted each layer; nil while someone does.
    private var unwantedSince: [ContinuousClock.Instant?] = []
    /// When the relay last asked the publisher to resume each layer.
    private var resumeAskedAt: [ContinuousClock.Instant?] = []
    /// When the selectors and dynacast are looked at again.
    var nextReviewAt: ContinuousClock.Instant

    static let reviewInterval: Duration = .milliseconds(250)
    /// A layer nobody wants is paused only after this long, so a quick switch back does not flap it.
    static let pauseAfter: Duration = .seconds(2)
    /// A layer with no packet for this long is treated as stopped (paused by the publisher, or lost).
    static let inactiveAfter: Duration = .milliseconds(800)
    /// A layer the publisher resumed on its own (its estimate rose) is switched up to only once it has run
    /// this long. An estimate that flickers resumes the top layer for a second or two; a subscriber that
    /// followed it paid a keyframe going up and a freeze of `inactiveAfter` and a keyframe coming down.
    static let settleAfterResume: Duration = .seconds(3)
    /// A resume this soon after the relay asked for it (dynacast) is the one it asked for: settled at once.
    static let askedResumeWithin: Duration = .seconds(5)

    init(now: ContinuousClock.Instant, pausedAtStart: [Bool]) {
        nextReviewAt = now + Self.reviewInterval
        reportedActive = pausedAtStart.map { !$0 }
        unwantedSince = Array(repeating: nil, count: pausedAtStart.count)
        resumeAskedAt = Array(repeating: nil, count: pausedAtStart.count)
    }

    func add(_ layer: Producer) {
        layers.append(layer)
        ranked = Array(layers.indices)
    }

    /// A layer's keyframe told its size: re-rank when every layer's size is known.
    func rerank() {
        guard layers.allSatisfy({ $0.layerStatistics.pixels > 0 }) else { return }
        ranked = layers.indices.sorted { (layers[$0].layerStatistics.pixels, $0) < (layers[$1].layerStatistics.pixels, $1) }
    }

    /// The layers as a selector sees them, smallest first.
    func candidates(now: ContinuousClock.Instant) -> [LayerSelector.Candidate] {
        ranked.map { index in
            let statistics = layers[index].layerStatistics
            return LayerSelector.Candidate(
                index: index, active: statistics.isActive(now: now), bitsPerSecond: statistics.bitsPerSecond,
                width: statistics.width, height: statistics.height, settled: isSettled(index, now: now))
        }
    }

    /// Whether layer `index` may be switched up to: it never paused, it has run `settleAfterResume` since it
    /// resumed, or it resumed because the relay asked.
    func isSettled(_ index: Int, now: ContinuousClock.Instant) -> Bool {
        guard let resumed = layers[index].layerStatistics.resumedAt, now - resumed < Self.settleAfterResume else {
            return true
        }
        guard index < resumeAskedAt.count, let asked = resumeAskedAt[index] else { return false }
        return asked <= resumed && resumed - asked < Self.askedResumeWithin
    }

    /// The rank (0 = smallest) of layer `index`.
    func rank(of index: Int) -> Int { ranked.firstIndex(of: index) ?? index }

    /// Dynacast: layers up to the highest any subscriber wants stay on (lower ones are the fallback
    /// when a subscriber's bandwidth drops); the rest pause after `pauseAfter`. The smallest layer is
    /// never paused: it is cheap, and a late joiner's first picture must not wait for a resume to go
    /// through signaling and the publisher's encoder. Returns the new active set when it changed.
    func reviewWanted(highestWantedRank: Int?, now: ContinuousClock.Instant) -> [Bool]? {
        var changed = false
        for (rank, index) in ranked.enumerated() {
            let wanted = rank <= (highestWantedRank ?? 0)
            if wanted {
                unwantedSince[index] = nil
                if !reportedActive[index] {
                    reportedActive[index] = true
                    resumeAskedAt[index] = now
                    changed = true
                }
            } else if reportedActive[index] {
                let since = unwantedSince[index] ?? now
                unwantedSince[index] = since
                if now - since >= Self.pauseAfter {
                    reportedActive[index] = false
                    changed = true
                }
            }
        }
        return changed ? reportedActive : nil
    }
}

/// What the relay measures of one simulcast layer: its bitrate over about a second, its picture size,
/// and when it last sent.
struct LayerStatistics {
    private(set) var bitsPerSecond: UInt64 = 0
    private(set) var width = 0
    private(set) var height = 0
    private(set) var lastPacketAt: ContinuousClock.Instant?
    /// When the layer came back after a silence of `SimulcastTrack.inactiveAfter` or more; nil if it never paused.
    private(set) var resumedAt: ContinuousClock.Instant?
    private var windowStart: ContinuousClock.Instant?
    private var windowBytes: UInt64 = 0

    var pixels: Int { width * height }

    mutating func record(bytes: Int, now: ContinuousClock.Instant) {
        if let lastPacketAt, now - lastPacketAt >= SimulcastTrack.inactiveAfter { resumedAt = now }
        lastPacketAt = now
        windowBytes &+= UInt64(bytes)
        guard let start = windowStart else {
            windowStart = now
            return
        }
        let elapsed = now - start
        if elapsed >= .seconds(1) {
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            bitsPerSecond = windowBytes &* 8 &* 1_000_000_000 / UInt64(max(1, nanoseconds))
            windowBytes = 0
            windowStart = now
        }
    }

    /// Returns whether the size changed.
    mutating func keyframe(width: Int, height: Int) -> Bool {
        guard width != self.width || height != self.height else { return false }
        self.width = width
        self.height = height
        return true
    }

    func isActive(now: ContinuousClock.Instant) -> Bool {
        guard let lastPacketAt else { return false }
        return now - lastPacketAt < SimulcastTrack.inactiveAfter
    }
}
