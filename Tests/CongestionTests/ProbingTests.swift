@testable import Congestion
import RTCP
import Testing

/// Probe scheduling and probe measurement.
@Suite struct ProbingTests {
    @Test func startsWithTwoProbesThenDoublesWhileTheyPay() throws {
        var controller = ProbeController(initial: 300_000, maximum: 5_000_000)
        let polled = (controller.poll(at: 0), controller.poll(at: 1 * ms))
        let first = try #require(polled.0)
        let second = try #require(polled.1)
        #expect(first.bitrate == 900_000 && second.bitrate == 1_800_000)
        #expect(first.id != second.id)
        #expect(first.minPackets == 5 && first.minBytes == 1688)  // 900 kbit/s × 15 ms, rounded
        #expect(controller.poll(at: 2 * ms) == nil)
        #expect(controller.state == .waitingForResult)
        // The estimate reaches 1.5 M (> 70 % of 1.8 M): probe 2× further.
        controller.onEstimate(1_500_000, usage: .normal, at: 100 * ms)
        #expect(controller.poll(at: 101 * ms)?.bitrate == 3_000_000)
        // 2 M is < 70 % of 3 M: no further probe; after a second without a result, done.
        controller.onEstimate(2_000_000, usage: .normal, at: 200 * ms)
        #expect(controller.poll(at: 300 * ms) == nil)
        #expect(controller.poll(at: 1200 * ms) == nil)
        #expect(controller.state == .complete)
    }

    @Test func probesAreCappedAtTheMaximum() throws {
        var controller = ProbeController(initial: 1_000_000, maximum: 2_000_000)
        #expect(controller.poll(at: 0)?.bitrate == 2_000_000)
        #expect(controller.poll(at: 0) == nil)  // 6 M capped to 2 M is the same probe again: not sent
        var atMaximum = ProbeController(initial: 2_000_000, maximum: 2_000_000)
        #expect(atMaximum.poll(at: 0) == nil)
    }

    @Test func probesBackAfterALargeDrop() throws {
        var controller = ProbeController(initial: 1_000_000, maximum: 10_000_000)
        while controller.poll(at: 0) != nil {}
        controller.onEstimate(2_000_000, usage: .normal, at: 100 * ms)
        _ = controller.poll(at: 100 * ms)  // the further probe the 2 M earned
        _ = controller.poll(at: 1500 * ms)  // times out
        controller.onEstimate(2_000_000, usage: .normal, at: 2 * second)
        controller.onEstimate(1_000_000, usage: .overusing, at: 3 * second)  // below 66 %: a large drop
        #expect(controller.poll(at: 3500 * ms) == nil)  // not yet: let the queue drain
        #expect(controller.poll(at: 4100 * ms) == nil)  // still overusing
        controller.onEstimate(1_050_000, usage: .normal, at: 4200 * ms)
        #expect(controller.poll(at: 4300 * ms)?.bitrate == 1_700_000)  // 85 % of the 2 M before
        _ = controller.poll(at: 5500 * ms)
        #expect(controller.poll(at: 6 * second) == nil)  // once per drop
    }

    @Test func probesTowardWhatTheApplicationWants() throws {
        var controller = ProbeController(initial: 1_000_000, maximum: 10_000_000)
        while controller.poll(at: 0) != nil {}
        controller.onEstimate(1_000_000, usage: .normal, at: 100 * ms)
        #expect(controller.poll(at: 1200 * ms) == nil)  // the initial probes timed out; nothing wanted
        controller.setDesiredBitrate(3_000_000)
        #expect(controller.poll(at: 1300 * ms)?.bitrate == 2_000_000)  // 2× the estimate first
        controller.onEstimate(1_900_000, usage: .normal, at: 1400 * ms)
        #expect(controller.poll(at: 1400 * ms)?.bitrate == 3_000_000)  // then on, up to what is wanted
        controller.onEstimate(3_000_000, usage: .normal, at: 1500 * ms)
        #expect(controller.poll(at: 1500 * ms) == nil)
        #expect(controller.poll(at: 4 * second) == nil)  // satisfied
    }

    /// Wanting only a little more than the estimate still probes a quarter above it (a smaller step would be
    /// lost in the arrival times' noise), and a result that does not lift the estimate starts no further
    /// probe: the next one waits for the request interval, instead of the same probe every round trip.
    @Test func aSmallWantProbesAQuarterAboveAndAFailedResultWaits() throws {
        var controller = ProbeController(initial: 1_000_000, maximum: 10_000_000)
        while controller.poll(at: 0) != nil {}
        controller.onEstimate(1_000_000, usage: .normal, at: 100 * ms)
        controller.setDesiredBitrate(1_050_000)
        #expect(controller.poll(at: 1200 * ms)?.bitrate == 1_250_000)
        // The result came back above 70 % of the probe but below the estimate: not a success.
        controller.onEstimate(1_000_000, usage: .normal, at: 1300 * ms)
        #expect(controller.poll(at: 1300 * ms) == nil)
        #expect(controller.poll(at: 1900 * ms) == nil)
        #expect(controller.poll(at: 2300 * ms)?.bitrate == 1_250_000, "again after the request interval")
        // A result that lifts the estimate continues, up to what is wanted and the step.
        controller.onEstimate(1_200_000, usage: .normal, at: 2400 * ms)
        #expect(controller.poll(at: 2400 * ms)?.bitrate == 1_250_000)
    }

    /// Probes toward what the application wants last `requestDuration` (the relay's 50 ms), and so do the
    /// probes their good results lead to; the start's keep 15 ms.
    @Test func requestedProbesLastTheirConfiguredDuration() throws {
        var controller = ProbeController(initial: 1_000_000, maximum: 10_000_000, requestDuration: 50 * ms)
        let polled = controller.poll(at: 0)
        let first = try #require(polled)
        #expect(first.minBytes == 3_000_000 * 15 / 1000 / 8)
        while controller.poll(at: 0) != nil {}
        controller.onEstimate(1_000_000, usage: .normal, at: 100 * ms)
        controller.setDesiredBitrate(4_000_000)
        let asked = controller.poll(at: 1200 * ms)
        let requested = try #require(asked)
        #expect(requested.bitrate == 2_000_000 && requested.minBytes == 2_000_000 * 50 / 1000 / 8)
        controller.onEstimate(1_900_000, usage: .normal, at: 1300 * ms)
        let next = controller.poll(at: 1300 * ms)
        let further = try #require(next)
        #expect(further.bitrate == 3_800_000 && further.minBytes == 3_800_000 * 50 / 1000 / 8)
    }

    /// A probe toward a low rate still sends its minimum bytes, enough to outlast a home shaper's burst.
    @Test func requestedProbesSendAtLeastTheirMinimumBytes() throws {
        var controller = ProbeController(
            initial: 300_000, maximum: 10_000_000, requestDuration: 50 * ms, requestMinimumBytes: 10_000)
        let polled = controller.poll(at: 0)
        let initial = try #require(polled)
        #expect(initial.minBytes < 2_000, "the start's probes keep their 15 ms (at 900 kbit/s)")
        while controller.poll(at: 0) != nil {}
        controller.onEstimate(300_000, usage: .normal, at: 100 * ms)
        controller.setDesiredBitrate(500_000)
        let next = controller.poll(at: 1200 * ms)
        let asked = try #require(next)
        #expect(asked.bitrate == 500_000 && asked.minBytes == 10_000, "50 ms at 500 kbit/s is only 3,125 bytes")
    }

    static func packet(_ cluster: Int32, sent: Int64, arrived: Int64?, size: Int = 1000) -> PacketResult {
        PacketResult(sequenceNumber: 0, sendTime: sent, size: size, arrivalTime: arrived, probeCluster: cluster)
    }

    @Test func aProbeThatGetsThroughMeasuresItsSendRate() {
        var estimator = ProbeBitrateEstimator()
        estimator.register(ProbeCluster(id: 3, bitrate: 2_000_000, minPackets: 5, minBytes: 5000))
        var result: UInt64?
        // 1000 bytes every 4 ms is 2 Mbit/s; arrivals keep the spacing.
        for index in 0..<6 {
            result = estimator.add(Self.packet(3, sent: Int64(index) * 4 * ms, arrived: 50 * ms + Int64(index) * 4 * ms))
            if index < 3 { #expect(result == nil) }  // fewer than 80 % of 5 packets
        }
        #expect(result == 2_000_000)
        // Packets of clusters not registered are not measured.
        #expect(estimator.add(Self.packet(9, sent: 0, arrived: 0)) == nil)
        #expect(estimator.add(Self.packet(-1, sent: 0, arrived: 0)) == nil)
    }

    @Test func aProbeIntoABottleneckMeasuresTheBottleneck() {
        var estimator = ProbeBitrateEstimator()
        estimator.register(ProbeCluster(id: 1, bitrate: 4_000_000, minPackets: 5, minBytes: 5000))
        var result: UInt64?
        // Sent at 4 Mbit/s (2 ms apart), arriving at 1 Mbit/s (8 ms apart): 95 % of 1 Mbit/s.
        for index in 0..<6 {
            result = estimator.add(Self.packet(1, sent: Int64(index) * 2 * ms, arrived: Int64(index) * 8 * ms))
        }
        #expect(result == 950_000)
    }

    /// A token-bucket shaper lets its burst allowance through at line rate and holds the rest to its rate:
    /// the cluster's second half shows the link, whatever its first half did.
    @Test func aProbeThroughAShapersBurstMeasuresTheShaperNotTheBurst() throws {
        var estimator = ProbeBitrateEstimator(judgesSecondHalf: true)
        // 30 packets of 300 bytes sent at 720 kbit/s (one every 3.33 ms): 9,000 bytes over 100 ms.
        estimator.register(ProbeCluster(id: 4, bitrate: 720_000, minPackets: 5, minBytes: 9000))
        var result: UInt64?
        var arrival: Int64 = 20 * ms
        for index in 0..<30 {
            let sent = Int64(index) * 10 * ms / 3
            // The first 15 (4.5 KB) pass in the burst as they were sent; the rest leave the shaper 6 ms apart
            // (400 kbit/s).
            arrival = index < 15 ? sent + 20 * ms : max(arrival + 6 * ms, sent + 20 * ms)
            result = estimator.add(Self.packet(4, sent: sent, arrived: arrival, size: 300))
        }
        let measured = try #require(result)
        // The whole cluster reads ~510 kbit/s (a burst of 4.5 KB in it), its second half 400: 95 % of that.
        #expect(measured == 380_000)

        // Without a shaper both halves keep the send spacing: the probe's rate is proven.
        estimator.register(ProbeCluster(id: 5, bitrate: 720_000, minPackets: 5, minBytes: 9000))
        for index in 0..<30 {
            let sent = Int64(index) * 10 * ms / 3
            result = estimator.add(Self.packet(5, sent: sent, arrived: sent + 20 * ms, size: 300))
        }
        #expect(result.map { $0 >= 700_000 && $0 <= 730_000 } == true)

        // A sender that fell behind in the second half (a late timer: 6 ms apart instead of 3.3) is no
        // saturated path: its packets arrive as they were sent, and the whole cluster's rate stands.
        estimator.register(ProbeCluster(id: 6, bitrate: 720_000, minPackets: 5, minBytes: 9000))
        for index in 0..<30 {
            let sent = index < 15 ? Int64(index) * 10 * ms / 3 : 50 * ms + Int64(index - 15) * 6 * ms
            result = estimator.add(Self.packet(6, sent: sent, arrived: sent + 20 * ms, size: 300))
        }
        #expect(result.map { $0 >= 500_000 } == true, "\(String(describing: result))")
    }

    @Test func implausibleProbesAreDiscarded() {
        var estimator = ProbeBitrateEstimator()
        estimator.register(ProbeCluster(id: 1, bitrate: 1_000_000, minPackets: 5, minBytes: 5000))
        var result: UInt64?
        // Arriving 4× faster than sent: not a measurement.
        for index in 0..<6 {
            result = estimator.add(Self.packet(1, sent: Int64(index) * 8 * ms, arrived: Int64(index) * 2 * ms))
        }
        #expect(result == nil)
        // All sent at once: no send interval.
        estimator.register(ProbeCluster(id: 2, bitrate: 1_000_000, minPackets: 5, minBytes: 5000))
        for index in 0..<6 { result = estimator.add(Self.packet(2, sent: 0, arrived: Int64(index) * ms)) }
        #expect(result == nil)
    }

    /// End to end through the facade: feedback on a probe cluster lifts the target at once.
    @Test func aSuccessfulProbeLiftsTheTarget() throws {
        var estimator = SendSideBandwidthEstimator(configuration: .init(initialBitrate: 300_000))
        let polled = estimator.pollProbe(at: 0)
        let cluster = try #require(polled)
        #expect(cluster.bitrate == 900_000)
        #expect(estimator.statistics.probeState == .waitingForResult)
        // Media before, then the cluster: 6 packets at its rate, arriving with the same spacing.
        var arrivals: [TransportWideFeedback.Arrival] = []
        let size = cluster.minBytes / 5 + 1
        let spacing = Int64(size * 8) * second / Int64(cluster.bitrate)
        for index in 0..<6 {
            let sent = Int64(index) * spacing
            estimator.onPacketSent(sequenceNumber: UInt16(index), size: size, at: sent, probeCluster: cluster.id)
            arrivals.append(.init(sequenceNumber: UInt16(index), time: (40 * ms + sent) / 1000))
        }
        try withFeedback(arrivals) { estimator.onFeedback($0, at: 80 * ms) }
        let statistics = estimator.statistics
        let measured = try #require(statistics.lastProbeBitrate)
        #expect(measured > 850_000 && measured <= 900_000)
        #expect(estimator.targetBitrate == measured)
        #expect(statistics.delayBasedBitrate == measured && statistics.lossBasedBitrate == measured)
    }
}
