/// The dominant speaker of a room, from the audio levels publishers put in their packets (RFC 6464:
/// 0 is the loudest, 127 silence, in -dBov), with hysteresis so the room's spotlight does not flicker.
///
/// Like Jitsi's DominantSpeakerIdentification, whose time structure it borrows (100 ms blocks over a
/// one-second window), but with a plain score instead of its probabilistic one. Each speaker's levels fall into 100 ms buckets; a bucket keeps the loudest level
/// above the voice threshold, as how far above it is, so background noise scores nothing and sending
/// more packets scores no more. A speaker's score is the sum over the window.
///
/// A challenger takes over only when it has spoken in at least half the window, spoke within the last
/// `recentActivity`, and outscores the dominant speaker by `switchRatio`, all of that continuously for
/// `holdTime`: a cough never qualifies, a louder sustained talker does. Nobody takes over in silence, so
/// the last speaker stays dominant. With no dominant speaker, the first qualifying one becomes it at once.
///
/// Sans-IO and cheap: `record` is a hash lookup and a few integer operations (bounded by the window when
/// a speaker's window slides), `poll` is linear in the speakers and runs ten times a second while
/// anyone talks. Storage grows only when a new speaker appears.
struct ActiveSpeakerDetector<Speaker: Hashable> {
    struct Configuration: Sendable, Equatable {
        /// Levels at or louder than this (numerically at most) count as speech. Speech typically reads a few
        /// tens of -dBov and a noise-suppressed quiet room far above 60, so -60 dBov keeps soft voices and
        /// drops hiss; a steady noise louder than that still scores little (see the bucket value).
        var activityThreshold: UInt8 = 60
        var bucketDuration: Int64 = 100_000_000
        /// Buckets in the scoring window (10 × 100 ms: Jitsi's one-second medium window).
        var windowBuckets: Int = 10
        /// Buckets with speech a challenger needs in the window: half of it, so a cough or a word never switches.
        var minimumActiveBuckets: Int = 5
        /// A challenger must have spoken this recently, so an utterance that ended does not keep qualifying.
        var recentActivity: Int64 = 300_000_000
        /// How long a challenger must keep qualifying before it takes over.
        var holdTime: Int64 = 500_000_000
        /// How much a challenger must outscore the dominant speaker.
        var switchRatio: Double = 1.5

        init() {}
    }

    /// A change of the dominant speaker; `dominant` is nil when the room lost it (removal, nobody active).
    struct Change: Equatable {
        var dominant: Speaker?
    }

    private struct Slot {
        var speaker: Speaker
        /// The newest bucket the window covers, in `bucketDuration` units of the caller's clock.
        var bucket: Int64
        var score = 0
        var activeBuckets = 0
        var lastActiveBucket = Int64.min
    }

    let configuration: Configuration
    private(set) var dominant: Speaker?
    private var slots: [Slot] = []
    /// Bucket values, `windowBuckets` per slot, in slot order.
    private var values: [UInt8] = []
    private var index: [Speaker: Int] = [:]
    private var challenger: Speaker?
    private var challengerSince: Int64 = 0
    /// The dominant speaker left: the next poll names a successor (or none) without waiting.
    private var successionPending = false
    private var latestActivityBucket = Int64.min
    /// The next bucket boundary to decide at; fixed when set, so a stream of packets cannot push it away.
    private var nextDecision: Int64?
    private var latestNow: Int64 = 0

    init(configuration: Configuration = Configuration()) {
        var sane = configuration
        sane.activityThreshold = min(sane.activityThreshold, 127)
        sane.bucketDuration = max(1, sane.bucketDuration)
        sane.windowBuckets = min(max(1, sane.windowBuckets), 64)
        sane.minimumActiveBuckets = min(max(1, sane.minimumActiveBuckets), sane.windowBuckets)
        sane.recentActivity = max(sane.bucketDuration, sane.recentActivity)
        sane.holdTime = max(0, sane.holdTime)
        sane.switchRatio = sane.switchRatio.isFinite ? max(1, sane.switchRatio) : 1
        self.configuration = sane
    }

    /// Records one audio level of `speaker` (adding the speaker if new). `voiceActivity` is the RFC 6464
    /// V flag when the extension carries it: a sender that says "no voice" scores nothing.
    mutating func record(speaker: Speaker, level: UInt8, voiceActivity: Bool?, now: Int64) {
        latestNow = now
        let bucket = bucketIndex(now)
        let slot = slotIndex(for: speaker, bucket: bucket)
        advance(slot, to: bucket)
        let level = min(level, 127)
        guard voiceActivity != false, level <= configuration.activityThreshold else { return }
        let window = configuration.windowBuckets
        guard bucket > slots[slot].bucket &- Int64(window) else { return }
        let value = configuration.activityThreshold - level + 1
        let position = slot * window + ringPosition(bucket)
        let old = values[position]
        guard value > old else { return }
        values[position] = value
        slots[slot].score += Int(value) - Int(old)
        if old == 0 { slots[slot].activeBuckets += 1 }
        slots[slot].lastActiveBucket = max(slots[slot].lastActiveBucket, bucket)
        latestActivityBucket = max(latestActivityBucket, bucket)
        if nextDecision == nil { nextDecision = boundary(after: bucket) }
    }

    /// Forgets a speaker (left the room, stopped publishing audio). If it was dominant, the next poll
    /// names the most active remaining speaker, or none.
    mutating func remove(speaker: Speaker) {
        guard let removed = index.removeValue(forKey: speaker) else { return }
        let last = slots.count - 1
        let window = configuration.windowBuckets
        if removed != last {
            slots[removed] = slots[last]
            index[slots[removed].speaker] = removed
            for offset in 0..<window { values[removed * window + offset] = values[last * window + offset] }
        }
        slots.removeLast()
        values.removeLast(window)
        if challenger == speaker { challenger = nil }
        if dominant == speaker {
            dominant = nil
            successionPending = true
        }
    }

    /// Decides at `now`; returns the new dominant speaker when it changed.
    mutating func poll(now: Int64) -> Change? {
        latestNow = now
        let bucket = bucketIndex(now)
        for slot in slots.indices { advance(slot, to: bucket) }
        let anyoneSpoke = latestActivityBucket > bucket &- Int64(configuration.windowBuckets)
        nextDecision = anyoneSpoke ? boundary(after: bucket) : nil
        if successionPending {
            successionPending = false
            challenger = nil
            var best: Int?
            for slot in slots.indices where slots[slot].score > 0 {
                if best.map({ slots[slot].score > slots[$0].score }) ?? true { best = slot }
            }
            dominant = best.map { slots[$0].speaker }
            return Change(dominant: dominant)
        }
        let dominantScore = dominant.flatMap { index[$0] }.map { slots[$0].score } ?? 0
        let bar = Double(dominantScore) * configuration.switchRatio
        let recentBuckets = configuration.recentActivity / configuration.bucketDuration
        var best: Int?
        for slot in slots.indices {
            let candidate = slots[slot]
            guard candidate.speaker != dominant,
                candidate.activeBuckets >= configuration.minimumActiveBuckets,
                candidate.lastActiveBucket >= bucket &- recentBuckets,
                Double(candidate.score) > bar
            else { continue }
            if best.map({ candidate.score > slots[$0].score }) ?? true { best = slot }
        }
        guard let best else {
            challenger = nil
            return nil
        }
        let leader = slots[best].speaker
        if dominant == nil {
            return takeOver(leader)
        }
        if challenger != leader {
            challenger = leader
            challengerSince = now
        }
        guard now &- challengerSince >= configuration.holdTime else { return nil }
        return takeOver(leader)
    }

    /// When `poll` next has something to decide: each bucket boundary while anyone spoke within the
    /// window, at once after the dominant speaker left, nil in silence.
    func pollTimeout() -> Int64? {
        successionPending ? latestNow : nextDecision
    }

    private func boundary(after bucket: Int64) -> Int64 {
        (bucket &+ 1) &* configuration.bucketDuration
    }

    private mutating func takeOver(_ speaker: Speaker) -> Change {
        dominant = speaker
        challenger = nil
        return Change(dominant: speaker)
    }

    /// Floor division, so a clock before its epoch still maps to consecutive buckets.
    private func bucketIndex(_ time: Int64) -> Int64 {
        let quotient = time / configuration.bucketDuration
        return time % configuration.bucketDuration < 0 ? quotient - 1 : quotient
    }

    private func ringPosition(_ bucket: Int64) -> Int {
        let window = Int64(configuration.windowBuckets)
        let remainder = bucket % window
        return Int(remainder < 0 ? remainder + window : remainder)
    }

    private mutating func slotIndex(for speaker: Speaker, bucket: Int64) -> Int {
        if let slot = index[speaker] { return slot }
        let slot = slots.count
        slots.append(Slot(speaker: speaker, bucket: bucket))
        values.append(contentsOf: repeatElement(0, count: configuration.windowBuckets))
        index[speaker] = slot
        return slot
    }

    /// Slides a speaker's window to end at `bucket`, forgetting what falls out; at most one window of work.
    private mutating func advance(_ slot: Int, to bucket: Int64) {
        let from = slots[slot].bucket
        guard bucket > from else { return }
        let window = configuration.windowBuckets
        let distance = bucket &- from
        let steps = distance < 0 || distance >= Int64(window) ? window : Int(distance)
        for step in 1...steps {
            let position = slot * window + ringPosition(from &+ Int64(step))
            let old = values[position]
            if old != 0 {
                slots[slot].score -= Int(old)
                slots[slot].activeBuckets -= 1
                values[position] = 0
            }
        }
        slots[slot].bucket = bucket
    }
}
