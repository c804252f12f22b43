import RTCP

/// Send-side bandwidth estimation for one subscriber leg (GCC, draft-ietf-rmcat-gcc, with
/// transport-wide feedback): the facade the engine drives.
///
/// Sans-IO and clock-free: the engine reports each packet it sends (with its transport-wide
/// sequence number) and each feedback it receives, both with its monotonic time in ns; it reads
/// `targetBitrate` and polls for probe clusters to send. Everything is preallocated at init, so
/// steady-state `onPacketSent` and `onFeedback` do not allocate.
public struct SendSideBandwidthEstimator: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Where to start before any feedback (bits/s).
        public var initialBitrate: UInt64 = 1_000_000
        /// Never go below this, whatever the feedback says: keeps audio and the lowest layer alive.
        public var minimumBitrate: UInt64 = 30_000
        /// Never go above this (and never probe above it).
        public var maximumBitrate: UInt64 = 10_000_000
        /// Sent packets remembered for matching feedback (rounded up to a power of two).
        public var historyCapacity: Int = SentPacketHistory.defaultCapacity
        /// How long probes toward `setDesiredBitrate` last (ns; at least libwebrtc's 15 ms). A sender whose
        /// timer wakes a few ms late sends a short probe's last packet late, which reads as a lower rate: 15 ms
        /// of probe loses up to a quarter of it to a 4 ms wake-up; 50 ms, under a tenth.
        public var requestProbeDuration: Int64 = ProbeCluster.duration
        /// The fewest bytes those probes send (`ProbeController.requestMinimumBytes`); above 0, a probe's
        /// second half is also judged on its own (`ProbeBitrateEstimator(judgesSecondHalf:)`).
        public var requestProbeMinimumBytes: Int = 0

        public init(
            initialBitrate: UInt64 = 1_000_000, minimumBitrate: UInt64 = 30_000, maximumBitrate: UInt64 = 10_000_000,
            historyCapacity: Int = SentPacketHistory.defaultCapacity, requestProbeDuration: Int64 = ProbeCluster.duration,
            requestProbeMinimumBytes: Int = 0
        ) {
            self.initialBitrate = initialBitrate
            self.minimumBitrate = minimumBitrate
            self.maximumBitrate = maximumBitrate
            self.historyCapacity = historyCapacity
            self.requestProbeDuration = requestProbeDuration
            self.requestProbeMinimumBytes = requestProbeMinimumBytes
        }
    }

    /// RTT assumed before the first feedback (libwebrtc's default: 200 ms).
    static let initialRoundTripTime: Int64 = 200_000_000
    /// RTT samples beyond this are absurd (a hostile or stale feedback) and ignored.
    static let maxRoundTripTime: Int64 = 10_000_000_000

    public let configuration: Configuration
    public private(set) var adapter: TransportFeedbackAdapter
    public private(set) var acknowledged = AcknowledgedBitrateEstimator()
    public private(set) var delayBased: DelayBasedEstimator
    public private(set) var lossBased: LossBasedEstimator
    public private(set) var probeController: ProbeController
    private var probeEstimator: ProbeBitrateEstimator
    private var roundTripTime = SendSideBandwidthEstimator.initialRoundTripTime
    private var lastProbeBitrate: UInt64?
    private var feedbackCount: UInt64 = 0
    public private(set) var targetBitrate: UInt64

    public init(configuration: Configuration = Configuration()) {
        var configuration = configuration
        configuration.maximumBitrate = max(configuration.maximumBitrate, configuration.minimumBitrate)
        configuration.initialBitrate = min(
            max(configuration.initialBitrate, configuration.minimumBitrate), configuration.maximumBitrate)
        self.configuration = configuration
        let (initial, minimum, maximum) =
            (configuration.initialBitrate, configuration.minimumBitrate, configuration.maximumBitrate)
        adapter = TransportFeedbackAdapter(capacity: configuration.historyCapacity)
        delayBased = DelayBasedEstimator(initial: initial, minimum: minimum, maximum: maximum)
        lossBased = LossBasedEstimator(initial: initial, minimum: minimum, maximum: maximum)
        probeController = ProbeController(
            initial: initial, maximum: maximum, requestDuration: configuration.requestProbeDuration,
            requestMinimumBytes: configuration.requestProbeMinimumBytes)
        probeEstimator = ProbeBitrateEstimator(judgesSecondHalf: configuration.requestProbeMinimumBytes > 0)
        targetBitrate = initial
    }

    /// Records a packet sent on the leg. `probeCluster` tags packets sent for a `ProbeCluster`.
    public mutating func onPacketSent(sequenceNumber: UInt16, size: Int, at time: Int64, probeCluster: Int? = nil) {
        adapter.onPacketSent(sequenceNumber: sequenceNumber, size: size, at: time, probeCluster: probeCluster)
    }

    /// Consumes one transport-wide feedback packet received at `now`.
    public mutating func onFeedback(_ feedback: TransportWideFeedback, at now: Int64) {
        let summary = adapter.adapt(feedback)
        guard summary.received + summary.lost > 0 else { return }
        feedbackCount &+= 1
        if let sent = summary.newestReceivedSendTime {
            let sample = now.saturatingSubtract(sent)
            if sample >= 0, sample <= Self.maxRoundTripTime {
                roundTripTime = (roundTripTime * 7 + sample) / 8
            }
        }

        var probeBitrate: UInt64?
        let results = adapter.results
        for index in results.indices {
            let result = results[index]
            guard let arrival = result.arrivalTime else { continue }
            acknowledged.add(arrivalTime: arrival, size: result.size)
            if result.probeCluster >= 0, let measured = probeEstimator.add(result) { probeBitrate = measured }
            delayBased.add(result)
        }
        if let probeBitrate {
            lastProbeBitrate = probeBitrate
            if delayBased.usage != .overusing { lossBased.raise(to: probeBitrate) }
        }
        delayBased.update(
            acknowledgedBitrate: acknowledged.bitrate, probeBitrate: probeBitrate, rtt: roundTripTime, at: now)
        lossBased.update(
            received: summary.received, lost: summary.lost, recovered: summary.recovered,
            target: min(delayBased.estimate, lossBased.estimate), rtt: roundTripTime, at: now)
        targetBitrate = min(max(min(delayBased.estimate, lossBased.estimate), configuration.minimumBitrate),
                            configuration.maximumBitrate)
        probeController.onEstimate(targetBitrate, usage: delayBased.usage, at: now)
    }

    /// The next probe cluster to send, if one is due. Send its packets at `bitrate`, tagging each
    /// `onPacketSent` with the cluster's id.
    public mutating func pollProbe(at now: Int64) -> ProbeCluster? {
        guard let cluster = probeController.poll(at: now) else { return nil }
        probeEstimator.register(cluster)
        return cluster
    }

    /// What the application would send if it could (e.g. with the next simulcast layer); probes
    /// toward it while the estimate is below. `nil` when it needs no more.
    public mutating func setDesiredBitrate(_ bitrate: UInt64?) {
        probeController.setDesiredBitrate(bitrate)
    }

    public var statistics: BandwidthEstimatorStatistics {
        BandwidthEstimatorStatistics(
            targetBitrate: targetBitrate, delayBasedBitrate: delayBased.estimate, lossBasedBitrate: lossBased.estimate,
            acknowledgedBitrate: acknowledged.bitrate, lossRatio: lossBased.lossRatio,
            trendlineSlope: delayBased.trendline.slope, trendlineModifiedTrend: delayBased.trendline.modifiedTrend,
            trendlineThreshold: delayBased.trendline.threshold, usage: delayBased.usage,
            rateControlState: delayBased.rateControl.state, probeState: probeController.state,
            lastProbeBitrate: lastProbeBitrate, roundTripTime: roundTripTime, feedbackCount: feedbackCount)
    }
}
