import Congestion
import Testing

/// Packet grouping and the trendline detector.
@Suite struct DelayDetectionTests {
    @Test func groupsPacketsSentWithinFiveMilliseconds() {
        var interArrival = InterArrival()
        // Group A: sent at 0, 2, 4 ms; group B: 10, 12 ms; group C starts at 20 ms and closes B.
        #expect(interArrival.add(sendTime: 0, arrivalTime: 100 * ms, size: 100) == nil)
        #expect(interArrival.add(sendTime: 2 * ms, arrivalTime: 103 * ms, size: 100) == nil)
        #expect(interArrival.add(sendTime: 4 * ms, arrivalTime: 105 * ms, size: 100) == nil)
        #expect(interArrival.add(sendTime: 10 * ms, arrivalTime: 111 * ms, size: 200) == nil)  // closes A; no previous
        #expect(interArrival.add(sendTime: 12 * ms, arrivalTime: 114 * ms, size: 200) == nil)
        let deltas = interArrival.add(sendTime: 20 * ms, arrivalTime: 121 * ms, size: 50)
        #expect(deltas == InterArrival.Deltas(
            sendDelta: 8 * ms, arrivalDelta: 9 * ms, sizeDelta: 100, arrivalTime: 114 * ms))
    }

    @Test func aBurstReleasedFromAQueueJoinsItsGroup() {
        var interArrival = InterArrival()
        _ = interArrival.add(sendTime: 0, arrivalTime: 100 * ms, size: 100)
        // Sent 8 ms later (a new group by send time) but arriving 1 ms after: a burst, same group.
        _ = interArrival.add(sendTime: 8 * ms, arrivalTime: 101 * ms, size: 100)
        _ = interArrival.add(sendTime: 30 * ms, arrivalTime: 130 * ms, size: 100)  // closes the first group
        let deltas = interArrival.add(sendTime: 60 * ms, arrivalTime: 160 * ms, size: 100)
        #expect(deltas?.sendDelta == 22 * ms)  // from the burst's last send time (8 ms)
        #expect(deltas?.arrivalDelta == 29 * ms)
    }

    @Test func aClockJumpResetsInsteadOfReportingAHugeDelta() {
        var interArrival = InterArrival()
        _ = interArrival.add(sendTime: 0, arrivalTime: 0, size: 100)
        _ = interArrival.add(sendTime: 10 * ms, arrivalTime: 10 * ms, size: 100)
        #expect(interArrival.add(sendTime: 20 * ms, arrivalTime: 20 * ms, size: 100) != nil)
        // The group sent at 30 ms arrives 10 s late; closing it would report a 10 s delta: reset.
        #expect(interArrival.add(sendTime: 30 * ms, arrivalTime: 10 * second, size: 100) != nil)  // closes 20 ms
        #expect(interArrival.add(sendTime: 40 * ms, arrivalTime: 10 * second + 10 * ms, size: 100) == nil)
        #expect(interArrival.add(sendTime: 50 * ms, arrivalTime: 10 * second + 20 * ms, size: 100) == nil)
        let resumed = interArrival.add(sendTime: 60 * ms, arrivalTime: 10 * second + 30 * ms, size: 100)
        #expect(resumed?.arrivalDelta == 10 * ms)
    }

    /// Feeds `groups` 10 ms-spaced groups whose arrival spacing is 10 ms + `growth`.
    static func detector(groups: Int, growth: Int64) -> (TrendlineEstimator, Set<BandwidthUsage>) {
        var trendline = TrendlineEstimator()
        var seen: Set<BandwidthUsage> = []
        var arrival: Int64 = 1 * second
        for _ in 0..<groups {
            arrival += 10 * ms + growth
            seen.insert(trendline.update(.init(sendDelta: 10 * ms, arrivalDelta: 10 * ms + growth, sizeDelta: 0, arrivalTime: arrival)))
        }
        return (trendline, seen)
    }

    @Test func aGrowingQueueIsOveruse() {
        // Each 10 ms group arrives 2 ms later than the last: the bottleneck drains 10/12 of our rate.
        let (trendline, seen) = Self.detector(groups: 40, growth: 2 * ms)
        #expect(seen.contains(.overusing))
        #expect(trendline.slope > 0.1)
    }

    @Test func aFlatQueueIsNormal() {
        let (trendline, seen) = Self.detector(groups: 200, growth: 0)
        #expect(seen == [.normal])
        #expect(trendline.slope == 0)
        // With nothing to follow, the threshold relaxes to its floor.
        #expect(trendline.threshold == TrendlineEstimator.thresholdRange.lowerBound)
    }

    @Test func jitterWithoutTrendIsNormal() {
        var trendline = TrendlineEstimator()
        var arrival: Int64 = 0
        var seen: Set<BandwidthUsage> = []
        for index in 0..<300 {
            let jitter: Int64 = index % 2 == 0 ? 3 * ms : -3 * ms
            arrival += 10 * ms + jitter
            seen.insert(trendline.update(.init(sendDelta: 10 * ms, arrivalDelta: 10 * ms + jitter, sizeDelta: 0, arrivalTime: arrival)))
        }
        #expect(!seen.contains(.overusing))
    }

    @Test func aDrainingQueueIsUnderuse() {
        // First build a queue, then drain it 2 ms per group.
        var trendline = TrendlineEstimator()
        var arrival: Int64 = 0
        for _ in 0..<30 {
            arrival += 12 * ms
            trendline.update(.init(sendDelta: 10 * ms, arrivalDelta: 12 * ms, sizeDelta: 0, arrivalTime: arrival))
        }
        var seen: Set<BandwidthUsage> = []
        for _ in 0..<30 {
            arrival += 8 * ms
            seen.insert(trendline.update(.init(sendDelta: 10 * ms, arrivalDelta: 8 * ms, sizeDelta: 0, arrivalTime: arrival)))
        }
        #expect(seen.contains(.underusing))
        #expect(trendline.slope < 0)
    }
}
