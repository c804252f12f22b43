/// Decides when to probe and at what rate (libwebrtc's `ProbeController`).
///
/// The delay-based rate climbs at most 8 %/s, which takes tens of seconds from a low start to a
/// fast link; a probe answers "does the path carry 2×?" in one round trip. Probes go out:
/// - at start: 3× and 6× the initial rate, then 2× again while each result reaches 70 % of the probe;
/// - after a large drop (below 66 % of the rate before), once the detector is back to normal: at
///   85 % of the earlier rate, so a transient dip does not cost the climb back;
/// - when the application wants more than the estimate (e.g. a higher simulcast layer is waiting):
///   up to 2× the estimate, repeated while it succeeds, at most once per `requestInterval`.
public struct ProbeController: Sendable {
    public enum State: String, Sendable {
        /// Nothing sent yet.
        case initial
        /// A probe is out; its result may trigger the next, higher one.
        case waitingForResult
        /// Idle.
        case complete
    }

    static let initialScales = (3.0, 6.0)
    static let furtherScale = 2.0
    /// A result at this fraction of the probe's rate earns the next probe (libwebrtc: 0.7).
    static let furtherThreshold = 0.7
    /// Give up on a result after this (libwebrtc `kMaxWaitingTimeForProbingResult`: 1 s).
    static let resultTimeout: Int64 = 1_000_000_000
    /// A drop to below this fraction of the rate before is "large" (libwebrtc: 0.66).
    static let largeDropThreshold = 0.66
    /// Probe back within this after a large drop (libwebrtc `kBitrateDropTimeout`: 5 s)...
    static let recoveryWindow: Int64 = 5_000_000_000
    /// ...but not sooner than this, so the queue that caused the drop has drained.
    static let recoveryDelay: Int64 = 1_000_000_000
    /// ...to this fraction of the rate before the drop (libwebrtc: 0.85).
    static let recoveryFraction = 0.85
    /// Application-requested probes are at least this far apart...
    static let requestInterval: Int64 = 1_000_000_000
    /// ...and at least this far above the estimate, even when the application wants only a little more: a
    /// probe 5 % above the estimate is lost in the arrival times' noise, and proves nothing either way.
    static let minimumRequestStep = 1.25

    public private(set) var state: State = .initial
    public let maximum: UInt64
    /// How long a probe toward what the application wants (or back after a drop) lasts, and the probes
    /// that follow its good result; the start's probes keep libwebrtc's 15 ms.
    public let requestDuration: Int64
    /// The fewest bytes such a probe sends, however low its rate: a home link's shaper passes a burst of a
    /// few KB at line rate, and a probe that fits in it measures the burst, not the link.
    public let requestMinimumBytes: Int
    /// The duration and minimum size of the probe a good result continues.
    private var furtherDuration = ProbeCluster.duration
    private var furtherMinimumBytes = 0
    private var estimate: UInt64
    private var usage: BandwidthUsage = .normal
    /// Clusters asked for but not yet polled: at most two (the initial pair), so two inline slots.
    private var pending: (ProbeCluster?, ProbeCluster?) = (nil, nil)
    private var nextId = 1
    private var minBitrateToProbeFurther: UInt64?
    private var furtherCap: UInt64
    private var lastProbe: Int64?
    private var desired: UInt64?
    private var largeDrop: (time: Int64, before: UInt64)?

    public init(
        initial: UInt64, maximum: UInt64, requestDuration: Int64 = ProbeCluster.duration, requestMinimumBytes: Int = 0
    ) {
        estimate = initial
        self.maximum = maximum
        self.requestDuration = max(requestDuration, ProbeCluster.duration)
        self.requestMinimumBytes = max(requestMinimumBytes, 0)
        furtherCap = maximum
    }

    /// The rate the application would use if the path carried it; `nil` when it has all it wants.
    public mutating func setDesiredBitrate(_ bitrate: UInt64?) {
        desired = bitrate.map { min($0, maximum) }
    }

    /// Tracks the estimate after each feedback; a good result continues exponential probing.
    public mutating func onEstimate(_ bitrate: UInt64, usage: BandwidthUsage, at now: Int64) {
        if Double(bitrate) < Self.largeDropThreshold * Double(estimate) {
            // A drop right after another one remembers the rate before the first.
            let before = largeDrop.map { now.saturatingSubtract($0.time) < Self.recoveryWindow ? max($0.before, estimate) : estimate }
            largeDrop = (now, before ?? estimate)
        }
        estimate = bitrate
        self.usage = usage
        if state == .waitingForResult, let threshold = minBitrateToProbeFurther, bitrate > threshold {
            minBitrateToProbeFurther = nil
            enqueue(Self.furtherScale * Double(bitrate), probeFurther: true, duration: furtherDuration,
                    minimumBytes: furtherMinimumBytes)
        }
    }

    /// The next cluster to send, if one is due.
    public mutating func poll(at now: Int64) -> ProbeCluster? {
        if state == .initial {
            furtherCap = maximum
            enqueue(Self.initialScales.0 * Double(estimate), probeFurther: false)
            enqueue(Self.initialScales.1 * Double(estimate), probeFurther: true)
            if pending.0 == nil { state = .complete }  // already at the maximum
        }
        if pending.0 == nil, state == .waitingForResult, let lastProbe,
           now.saturatingSubtract(lastProbe) > Self.resultTimeout {
            state = .complete
            minBitrateToProbeFurther = nil
        }
        if pending.0 == nil, state == .complete { scheduleIfDue(at: now) }
        guard let cluster = pending.0 else { return nil }
        pending = (pending.1, nil)
        lastProbe = now
        state = .waitingForResult
        return cluster
    }

    private mutating func scheduleIfDue(at now: Int64) {
        if let drop = largeDrop {
            let since = now.saturatingSubtract(drop.time)
            if since > Self.recoveryWindow {
                largeDrop = nil
            } else if since >= Self.recoveryDelay, usage == .normal {
                largeDrop = nil
                let target = Self.recoveryFraction * Double(drop.before)
                if Double(estimate) < target {
                    furtherCap = maximum
                    enqueue(target, probeFurther: false, duration: requestDuration, minimumBytes: requestMinimumBytes)
                    return
                }
            }
        }
        if let desired, desired > estimate,
           lastProbe.map({ now.saturatingSubtract($0) >= Self.requestInterval }) ?? true {
            let goal = max(Double(desired), Self.minimumRequestStep * Double(estimate))
            furtherCap = UInt64(clamping: goal)
            enqueue(min(goal, Self.furtherScale * Double(estimate)), probeFurther: true, duration: requestDuration,
                    minimumBytes: requestMinimumBytes)
        }
    }

    private mutating func enqueue(
        _ bitrate: Double, probeFurther: Bool, duration: Int64 = ProbeCluster.duration, minimumBytes: Int = 0
    ) {
        let rate = min(UInt64(clamping: bitrate), furtherCap, maximum)
        // Probing at or below the estimate, or twice at the same rate, teaches nothing.
        guard rate > estimate, rate > (pending.1 ?? pending.0)?.bitrate ?? 0, pending.1 == nil else { return }
        var cluster = ProbeCluster(id: nextId, bitrate: rate, duration: duration)
        cluster.minBytes = max(cluster.minBytes, minimumBytes)
        furtherDuration = duration
        furtherMinimumBytes = minimumBytes
        if pending.0 == nil { pending.0 = cluster } else { pending.1 = cluster }
        nextId = nextId == Int(Int32.max) ? 1 : nextId + 1
        // A further probe follows only a result that lifted the estimate: one between 70 % of the probe and
        // the estimate would otherwise start the same probe again at once, every round trip.
        minBitrateToProbeFurther = probeFurther
            ? max(UInt64(clamping: Self.furtherThreshold * Double(rate)), estimate) : nil
    }
}
