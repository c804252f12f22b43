import Congestion
import RTCP

/// A deterministic single-bottleneck path in simulated time, driving a `SendSideBandwidthEstimator`
/// the way the engine will: the sender paces ~1200-byte packets at the estimator's target and sends
/// the probe clusters it asks for; the bottleneck is a FIFO draining at `capacity` with a queue
/// limit and optional random loss; the receiver sends transport-wide feedback every 50-100 ms, built
/// with the RTCP module's encoder, which reaches the sender after the one-way delay.
struct LinkSimulator {
    struct Configuration {
        var capacity: UInt64
        /// Queue limit expressed as time at the current capacity (a buffer sized like real ones).
        var queueDelay: Int64 = 250 * ms
        var lossRate = 0.0
        var oneWayDelay: Int64 = 25 * ms
        /// Extra delay per packet after the bottleneck, uniform in 0...jitter (packets may reorder).
        var jitter: Int64 = 0
        /// Chance that a feedback packet is lost on the way back.
        var feedbackLossRate = 0.0
        var packetSize = 1200
        var seed: UInt64 = 1
        var estimator = SendSideBandwidthEstimator.Configuration()
    }

    private struct InFlight {
        var sequenceNumber: UInt16
        /// Arrival on the receiver's clock (µs), nil if dropped.
        var arrival: Int64?
        /// When the receiver knows about it (arrival, or when a later packet arrived).
        var arrivalNs: Int64?
    }

    private struct Probe {
        var time: Int64
        var size: Int
        var cluster: Int
    }

    var configuration: Configuration
    var estimator: SendSideBandwidthEstimator
    var capacity: UInt64
    private(set) var now: Int64 = 0
    /// (time, target) after each feedback.
    private(set) var samples: [(time: Int64, target: UInt64)] = []
    private(set) var probesSent = 0
    private(set) var sentPackets = 0
    private(set) var droppedPackets = 0

    private var random: SplitMix64
    private var sequenceNumber: UInt16 = 0
    private var nextMediaSend: Int64 = 0
    private var probeQueue: [Probe] = []
    private var linkFreeAt: Int64 = 0
    private var unreported: [InFlight] = []
    private var nextFeedback: Int64
    private var feedbackCount: UInt8 = 0
    private var feedbackInFlight: [(time: Int64, bytes: [UInt8])] = []
    /// The receiver's clock runs on a different epoch than the sender's, one whose 24-bit feedback
    /// reference time (64 ms units, 2^24 of them) wraps 5 s into the run.
    private let receiverClockOffset: Int64 = (1 << 24) * 64 * ms - 5 * second

    init(_ configuration: Configuration) {
        self.configuration = configuration
        estimator = SendSideBandwidthEstimator(configuration: configuration.estimator)
        capacity = configuration.capacity
        random = SplitMix64(seed: configuration.seed)
        nextFeedback = 75 * ms
    }

    /// Runs until `end`, calling `observe` after each feedback the sender consumes.
    mutating func run(until end: Int64, observe: (Int64, SendSideBandwidthEstimator) -> Void = { _, _ in }) throws {
        while true {
            let nextProbe = probeQueue.first?.time ?? .max
            let nextDelivery = feedbackInFlight.first?.time ?? .max
            let next = min(nextMediaSend, nextProbe, nextFeedback, nextDelivery)
            guard next <= end else { break }
            now = next
            if next == nextDelivery {
                let bytes = feedbackInFlight.removeFirst().bytes
                try bytes.withUnsafeBytes { buffer in
                    estimator.onFeedback(try TransportWideFeedback(parsing: buffer), at: now)
                }
                samples.append((now, estimator.targetBitrate))
                observe(now, estimator)
            } else if next == nextFeedback {
                try sendFeedback()
                nextFeedback = now + 50 * ms + Int64(random.next() % 51) * ms
            } else if next == nextProbe {
                let probe = probeQueue.removeFirst()
                send(size: probe.size, probeCluster: probe.cluster)
                probesSent += 1
            } else {
                if let cluster = estimator.pollProbe(at: now) { schedule(cluster) }
                send(size: configuration.packetSize, probeCluster: nil)
                let interval = Int64(configuration.packetSize * 8) * second / Int64(max(estimator.targetBitrate, 1))
                nextMediaSend = now + max(interval, 1)
            }
        }
    }

    private mutating func schedule(_ cluster: ProbeCluster) {
        let count = max(cluster.minPackets, (cluster.minBytes + 1199) / 1200)
        let size = max((cluster.minBytes + count - 1) / count, 200)
        let spacing = Int64(size * 8) * second / Int64(max(cluster.bitrate, 1))
        for index in 0..<count {
            probeQueue.append(Probe(time: now + Int64(index) * spacing, size: size, cluster: cluster.id))
        }
        probeQueue.sort { $0.time < $1.time }
    }

    private mutating func send(size: Int, probeCluster: Int?) {
        estimator.onPacketSent(sequenceNumber: sequenceNumber, size: size, at: now, probeCluster: probeCluster)
        sentPackets += 1
        let backlog = max(linkFreeAt - now, 0)
        let serialization = Int64(size * 8) * second / Int64(capacity)
        var arrival: Int64?
        if backlog + serialization > configuration.queueDelay || random.unit() < configuration.lossRate {
            droppedPackets += 1
        } else {
            linkFreeAt = max(now, linkFreeAt) + serialization
            let jitter = configuration.jitter > 0 ? Int64(random.next() % UInt64(configuration.jitter + 1)) : 0
            arrival = linkFreeAt + configuration.oneWayDelay + jitter
        }
        unreported.append(InFlight(sequenceNumber: sequenceNumber, arrival: arrival.map { ($0 + receiverClockOffset) / 1000 }, arrivalNs: arrival))
        sequenceNumber &+= 1
    }

    /// Reports packets up to the last one that has arrived by now, stopping before any still on its
    /// way (jitter may reorder them); dropped packets before it are reported lost.
    private mutating func sendFeedback() throws {
        var lastArrived: Int?
        for index in unreported.indices {
            guard let arrivalNs = unreported[index].arrivalNs else { continue }  // dropped
            guard arrivalNs <= now else { break }  // still in flight
            lastArrived = index
        }
        guard let last = lastArrived else { return }
        // The wire carries the reference time modulo 2^24 (signed); shift the arrivals by the same
        // whole number of wraps so the encoder's deltas stay right.
        let first = unreported[...last].first { $0.arrival != nil }?.arrival ?? 0
        let tick = TransportWideFeedback.referenceTimeTick
        let ticks = first / tick
        let wrapped = ((ticks + (1 << 23)) & ((1 << 24) - 1)) - (1 << 23)
        let shift = (ticks - wrapped) * tick
        let reported = unreported[...last].map {
            TransportWideFeedback.Arrival(sequenceNumber: $0.sequenceNumber, time: $0.arrival.map { $0 - shift })
        }
        unreported.removeFirst(last + 1)
        let bytes = try TransportWideFeedback.build(
            senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: feedbackCount, arrivals: reported)
        feedbackCount &+= 1
        if random.unit() >= configuration.feedbackLossRate {
            feedbackInFlight.append((now + configuration.oneWayDelay, bytes))
        }
    }

    /// Targets after `time` (inclusive).
    func targets(from start: Int64, to end: Int64 = .max) -> [UInt64] {
        samples.filter { $0.time >= start && $0.time <= end }.map(\.target)
    }

    /// When the target first exceeded `bitrate`, if ever.
    func firstTime(above bitrate: UInt64) -> Int64? { samples.first { $0.target > bitrate }?.time }
    func firstTime(below bitrate: UInt64, after start: Int64) -> Int64? {
        samples.first { $0.time >= start && $0.target < bitrate }?.time
    }
}
