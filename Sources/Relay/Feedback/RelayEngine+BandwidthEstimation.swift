import Congestion
import RTCP

/// Send-side bandwidth estimation per subscriber leg (GCC, `Sources/Congestion`): the relay stamps a
/// transport-wide sequence number on every packet it sends the leg, the subscriber's transport-cc
/// feedback says when each arrived, and the estimate that comes out sets the leg's pacing rate and the
/// budget each of its video consumers picks a simulcast layer within.
extension RelayEngine {
    /// How far the estimate moves before the budgets are handed out again (or a second passes).
    static let redistributionStep = 0.05
    static let redistributionInterval: Int64 = 1_000_000_000
    /// Kept for each audio consumer before video shares the rest: Opus at its highest plus headers.
    static let audioReserve: UInt64 = 64_000
    /// No leg asks for more than this (a sum over many tracks saturates here).
    static let maximumDesired: UInt64 = 100_000_000

    func handleTransportFeedback(_ feedback: TransportWideFeedback, from participant: Participant, now: ContinuousClock.Instant) {
        // Feedback from a leg the relay never stamped (a publisher echoing, or a forgery) moves nothing.
        guard participant.bandwidth != nil else { return counters.drop(.unknownSSRC) }
        let nanoseconds = clock.nanoseconds(since: now)
        participant.bandwidth?.onFeedback(feedback, at: nanoseconds)
        participant.bandwidth?.setDesiredBitrate(desiredBitrate(of: participant, now: now))
        startProbeIfAsked(participant, at: nanoseconds)
        guard let estimator = participant.bandwidth else { return }
        let estimate = estimator.targetBitrate
        if let last = participant.distributedEstimate, nanoseconds - last.at < Self.redistributionInterval {
            let change = abs(Double(estimate) - Double(last.bitrate)) / Double(max(last.bitrate, 1))
            guard change >= Self.redistributionStep else { return }
        }
        participant.distributedEstimate = (estimate, nanoseconds)
        // The pacer never holds the leg below what it demonstrably delivers.
        participant.pacer.setEstimate(max(estimate, estimator.statistics.acknowledgedBitrate ?? 0), now: nanoseconds)
        distribute(estimate, over: participant, now: now)
    }

    /// What the leg needs for its next step up: for every simulcast track it receives, the next layer above
    /// the one it gets (as far as the size it is shown at asks for), with the selectors' up-switch headroom,
    /// plus the audio reserve. Nil when it receives no simulcast track, or every track is where its size
    /// wants it: the relay cannot send a single-layer stream faster or slower, so there is nothing to probe
    /// for. One layer at a time, as LiveKit's allocator probes: a probe toward the top layer from the
    /// bottom would ask a weak link for several times what it carries, and overflow it. A layer held after
    /// a failed switch up asks for the budget that clears its hold.
    func desiredBitrate(of participant: Participant, now: ContinuousClock.Instant) -> UInt64? {
        var total: UInt64 = 0
        var wantsMore = false
        for consumer in participant.consumers {
            guard let source = consumer.source else { continue }
            guard consumer.kind == .video else {
                total = min(total + Self.audioReserve, Self.maximumDesired)
                continue
            }
            guard let track = source.simulcast, let selector = consumer.layers else { continue }
            let candidates = track.candidates(now: now)
            guard !candidates.isEmpty else { continue }
            var unlimited = selector.preferences
            unlimited.bitsPerSecond = nil
            let sizeRank = LayerSelector.desired(unlimited, candidates)
                .flatMap { index in candidates.firstIndex { $0.index == index } } ?? candidates.count - 1
            let currentRank = (selector.current ?? selector.target)
                .flatMap { index in candidates.firstIndex { $0.index == index } } ?? -1
            let nextRank = min(currentRank + 1, sizeRank)
            guard nextRank >= 0 else { continue }
            if nextRank > currentRank { wantsMore = true }
            let bitrate = candidates[nextRank].bitsPerSecond
            let (headroom, overflow) = bitrate.multipliedReportingOverflow(by: LayerSelector.upSwitchHeadroom)
            var needed = overflow ? Self.maximumDesired : headroom / 4
            if nextRank > currentRank, let clearing = selector.backoff.clearingBudget(
                layer: nextRank, bitsPerSecond: bitrate, now: clock.nanoseconds(since: now))
            {
                needed = max(needed, clearing)  // held: only the hold's clearing budget switches it up
            }
            total = min(total + min(needed, Self.maximumDesired), Self.maximumDesired)
        }
        return wantsMore ? total : nil
    }

    /// Splits a leg's estimate over its video consumers, after a reserve for each audio one: equal shares,
    /// which the layer selectors combine with the size each video is shown at (a small tile takes a
    /// small layer whatever its share).
    private func distribute(_ estimate: UInt64, over participant: Participant, now: ContinuousClock.Instant) {
        var audio: UInt64 = 0
        var video: UInt64 = 0
        for consumer in participant.consumers where consumer.source != nil {
            if consumer.kind == .video { video += 1 } else { audio += 1 }
        }
        guard video > 0 else { return }
        let reserve = audio.multipliedReportingOverflow(by: Self.audioReserve)
        let forVideo = reserve.overflow ? 0 : estimate > reserve.partialValue ? estimate - reserve.partialValue : 0
        let share = max(forVideo / video, configuration.bandwidthEstimation.minimumBitrate / video)
        for consumer in participant.consumers where consumer.kind == .video && consumer.source != nil {
            setAvailableBitrate(
                participantID: participant.identity.participantID, mid: consumer.media.mid, bitsPerSecond: share, now: now)
        }
    }
}
