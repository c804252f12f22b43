import Foundation
import RTP
import VP8

/// What one viewer would have seen, like a browser's receiver, without decoding: VP8 frames put together
/// by a `FrameLossTracker` (which waits `deadline` for missing packets, as a jitter buffer), the picture size
/// from each keyframe's header (the simulcast layer the relay sends it), and freezes.
///
/// A frame is *shown* when it is complete and the decoder could use it: after a lost frame nothing is
/// shown until the next keyframe, since VP8 frames reference the ones before. A *freeze* is a gap between
/// shown frames longer than max(3 × the median of the last 30 gaps, 150 ms), WebRTC's freeze definition
/// with the median in place of the mean so a freeze does not raise its own bar.
///
/// It also asks for repairs as a browser does: a NACK for every gap in the video sequence numbers at the
/// gap, and again every `nackRetry` while the packet has not come, at most `maximumNackTries` times in
/// all (libwebrtc's NackRequester: a lost retransmission is asked for again, not given up on); and a PLI
/// when a frame is lost, again every `keyframeRetry` until a keyframe comes.
final class ViewerQuality {
    struct Counts: Sendable, Equatable {
        var framesShown = 0
        /// Freezes that ended (a frame was shown again), and the time frozen including one still going on.
        var freezes = 0
        var frozenNanoseconds: Int64 = 0
        var freezeOngoing = false
        var framesLost = 0
        var nacksSent = 0
        var plisSent = 0
        var layerSwitches = 0
    }

    static let minimumFreeze: Duration = .milliseconds(150)
    static let keyframeRetry: Duration = .milliseconds(500)
    /// Larger gaps are a new stream (or a stall of the tester), not something to NACK packet by packet.
    static let maximumNackGap: Int64 = 128
    static let nackRetry: Duration = .milliseconds(40)
    /// Five asks 40 ms apart fit the jitter buffer's 200 ms deadline, and reach past the relay's 100 ms
    /// once-per-window rule when it knows no round trip.
    static let maximumNackTries = 5
    static let maximumPending = 256

    private var frames: FrameLossTracker
    private(set) var counts = Counts()
    private(set) var width: Int?
    private(set) var height: Int?
    /// Each picture size it was sent and from when (Unix seconds, so a script can line them up with the
    /// moments it changed the link); bounded, the first and latest kept.
    private(set) var layerChanges: [(unixSeconds: Double, width: Int, height: Int)] = []
    static let maximumLayerChanges = 256
    private var waitingForKeyframe = true
    private var lastShown: ContinuousClock.Instant?
    private var gaps: [Duration] = []
    private var nextGap = 0
    private var sequence = SequenceNumberUnwrapper()
    /// Sequence numbers to ask for again, and whether a keyframe should be asked for.
    private(set) var missing: [UInt16] = []
    /// Asked for and not received yet: when last asked, how many times.
    private var pending: [(sequence: UInt16, askedAt: ContinuousClock.Instant, tries: Int)] = []
    private var lastKeyframeRequest: ContinuousClock.Instant?
    private(set) var wantsKeyframe = false

    init(deadline: Duration = FrameLossTracker.defaultDeadline) {
        frames = FrameLossTracker(deadline: deadline)
    }

    /// One unprotected video packet (RTX already unwrapped; `retransmission` says it was one).
    func add(_ packet: [UInt8], retransmission: Bool, now: ContinuousClock.Instant) {
        let number = packet.withUnsafeBytes { try? RTPHeader(parsing: $0).sequenceNumber }
        if let number, !pending.isEmpty { pending.removeAll { $0.sequence == number } }
        if !retransmission, let number {
            let previous = sequence.highest
            let extended = sequence.unwrap(number)
            if let previous, extended > previous + 1, extended - previous <= Self.maximumNackGap {
                for lost in (previous + 1)..<extended { missing.append(UInt16(truncatingIfNeeded: lost)) }
            }
        }
        for frame in frames.add(packet, now: now) { show(frame, now: now) }
        noteLosses(now: now)
    }

    /// Frames whose deadline passed with nothing arriving to let them go.
    func advance(now: ContinuousClock.Instant) {
        for frame in frames.release(now: now) { show(frame, now: now) }
        noteLosses(now: now)
    }

    /// What to NACK now: new gaps, and what was asked for `nackRetry` ago and still has not come. The
    /// caller sends it.
    func takeMissing(now: ContinuousClock.Instant) -> [UInt16] {
        var list: [UInt16] = []
        for index in pending.indices where now - pending[index].askedAt >= Self.nackRetry {
            list.append(pending[index].sequence)
            pending[index].askedAt = now
            pending[index].tries += 1
        }
        pending.removeAll { $0.tries >= Self.maximumNackTries }
        for sequence in missing where !pending.contains(where: { $0.sequence == sequence }) {
            pending.append((sequence, now, 1))
        }
        if pending.count > Self.maximumPending { pending.removeFirst(pending.count - Self.maximumPending) }
        list += missing
        missing.removeAll(keepingCapacity: true)
        counts.nacksSent += list.isEmpty ? 0 : 1
        return list
    }

    /// Whether to send a PLI now; the caller sends it.
    func takeKeyframeRequest(now: ContinuousClock.Instant) -> Bool {
        guard wantsKeyframe else { return false }
        wantsKeyframe = false
        lastKeyframeRequest = now
        counts.plisSent += 1
        return true
    }

    /// The counts, with a freeze still going on at `now` in the time frozen and `freezeOngoing`.
    func counts(now: ContinuousClock.Instant) -> Counts {
        var result = counts
        if let lastShown, now - lastShown > threshold {
            result.freezeOngoing = true
            result.frozenNanoseconds += Self.nanoseconds(now - lastShown)
        }
        return result
    }

    private var threshold: Duration {
        guard gaps.count >= 5 else { return Self.minimumFreeze }
        let median = gaps.sorted()[gaps.count / 2]
        return max(median * 3, Self.minimumFreeze)
    }

    private func show(_ frame: [UInt8], now: ContinuousClock.Instant) {
        // RFC 6386 §9.1: the frame tag's lowest bit is 0 for a keyframe, whose header has the size.
        if frame.first.map({ $0 & 1 == 0 }) == true,
            let info = frame.withUnsafeBytes({ VP8KeyframeInfo(frame: $0) })
        {
            if let width, width != Int(info.width) { counts.layerSwitches += 1 }
            if width != Int(info.width) || height != Int(info.height) {
                if layerChanges.count >= Self.maximumLayerChanges { layerChanges.remove(at: 1) }
                layerChanges.append((Date().timeIntervalSince1970, Int(info.width), Int(info.height)))
            }
            width = Int(info.width)
            height = Int(info.height)
            waitingForKeyframe = false
        }
        guard !waitingForKeyframe else { return }
        counts.framesShown += 1
        if let lastShown {
            let gap = now - lastShown
            if gap > threshold {
                counts.freezes += 1
                counts.frozenNanoseconds += Self.nanoseconds(gap)
            }
            if gaps.count < 30 { gaps.append(gap) } else { gaps[nextGap] = gap }
            nextGap = (nextGap + 1) % 30
        }
        lastShown = now
    }

    private func noteLosses(now: ContinuousClock.Instant) {
        if frames.counts.lost > counts.framesLost {
            counts.framesLost = frames.counts.lost
            waitingForKeyframe = true
        }
        guard waitingForKeyframe, lastShown != nil || counts.framesLost > 0 else { return }
        if lastKeyframeRequest.map({ now - $0 >= Self.keyframeRetry }) ?? true { wantsKeyframe = true }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
