import Congestion
import Testing

/// AIMD, the acknowledged rate and the loss-based rate, step by step.
@Suite struct RateControlTests {
    @Test func multiplicativeIncreaseIsEightPercentPerSecond() {
        var aimd = AimdRateControl(initial: 1_000_000, minimum: 30_000, maximum: 10_000_000)
        aimd.update(usage: .normal, acknowledgedBitrate: nil, rtt: 100 * ms, at: 0)
        let start = aimd.estimate
        for step in 1...10 { aimd.update(usage: .normal, acknowledgedBitrate: nil, rtt: 100 * ms, at: Int64(step) * 100 * ms) }
        // Ten 100 ms steps compound to 1.08^1 within rounding.
        let ratio = Double(aimd.estimate) / Double(start)
        #expect(ratio > 1.075 && ratio < 1.085)
    }

    @Test func overuseCutsToEightyFivePercentOfAcknowledged() {
        var aimd = AimdRateControl(initial: 1_000_000, minimum: 30_000, maximum: 10_000_000)
        aimd.update(usage: .overusing, acknowledgedBitrate: 600_000, rtt: 100 * ms, at: 0)
        #expect(aimd.estimate == 510_000)
        #expect(aimd.state == .hold)
        #expect(aimd.linkCapacity.estimate == 600_000)
        // Still overusing 50 ms later: too soon (RTT 100 ms) to cut again.
        aimd.update(usage: .overusing, acknowledgedBitrate: 500_000, rtt: 100 * ms, at: 50 * ms)
        #expect(aimd.estimate == 510_000)
        // After an RTT it cuts again, from the new acknowledged rate.
        aimd.update(usage: .overusing, acknowledgedBitrate: 500_000, rtt: 100 * ms, at: 150 * ms)
        #expect(aimd.estimate == 425_000)
    }

    @Test func underuseHoldsAndNormalResumesAdditivelyNearCapacity() {
        var aimd = AimdRateControl(initial: 1_000_000, minimum: 30_000, maximum: 10_000_000)
        aimd.update(usage: .overusing, acknowledgedBitrate: 500_000, rtt: 100 * ms, at: 0)
        #expect(aimd.estimate == 425_000)
        aimd.update(usage: .underusing, acknowledgedBitrate: 500_000, rtt: 100 * ms, at: 500 * ms)
        #expect(aimd.estimate == 425_000 && aimd.state == .hold)
        aimd.update(usage: .normal, acknowledgedBitrate: 480_000, rtt: 100 * ms, at: 600 * ms)
        #expect(aimd.state == .increase)
        aimd.update(usage: .normal, acknowledgedBitrate: 480_000, rtt: 100 * ms, at: 1600 * ms)
        // Near the link's capacity (~500k) the climb is additive: one average packet (a 425k frame
        // at 30 fps is two 1200-byte packets, 7.1 kbit each) per response time (RTT + 100 ms).
        let bitsPerFrame = 425_000.0 / 30, packetBits = bitsPerFrame / 2
        let expected = 425_000 + packetBits / 0.2
        #expect(abs(Double(aimd.estimate) - expected) < 1000)
    }

    @Test func increaseStaysNearWhatIsDelivered() {
        var aimd = AimdRateControl(initial: 1_000_000, minimum: 30_000, maximum: 10_000_000)
        for step in 0...30 { aimd.update(usage: .normal, acknowledgedBitrate: 200_000, rtt: 50 * ms, at: Int64(step) * second) }
        // 1.5 × 200k + 10k, but never cut below where it was (1 M) by an increase.
        #expect(aimd.estimate == 1_000_000)
        var low = AimdRateControl(initial: 100_000, minimum: 30_000, maximum: 10_000_000)
        for step in 0...60 { low.update(usage: .normal, acknowledgedBitrate: 200_000, rtt: 50 * ms, at: Int64(step) * second) }
        #expect(low.estimate == 310_000)
    }

    @Test func acknowledgedBitrateMeasuresArrivals() {
        var estimator = AcknowledgedBitrateEstimator()
        // 1000-byte packets every 8 ms: 1 Mbit/s.
        for index in 0..<10 { estimator.add(arrivalTime: Int64(index) * 8 * ms, size: 1000) }
        #expect(estimator.bitrate == nil)  // 72 ms: too short to tell
        for index in 10..<200 { estimator.add(arrivalTime: Int64(index) * 8 * ms, size: 1000) }
        #expect(estimator.bitrate == 1_000_000)
        // The rate halves: after a window it reads 500 kbit/s.
        var time = 199 * 8 * ms
        for _ in 0..<100 {
            time += 16 * ms
            estimator.add(arrivalTime: time, size: 1000)
        }
        #expect(estimator.bitrate == 500_000)
        // The receiver's clock restarts far in the past: start over.
        estimator.add(arrivalTime: 0, size: 1000)
        #expect(estimator.bitrate == nil)
    }

    static func lossBased(
        _ estimator: inout LossBasedEstimator, lossPercent: Int, target: UInt64, at time: Int64
    ) {
        estimator.update(received: 100 - lossPercent, lost: lossPercent, recovered: 0, target: target, rtt: 100 * ms, at: time)
    }

    @Test func lossBasedThresholds() {
        var estimator = LossBasedEstimator(initial: 1_000_000, minimum: 30_000, maximum: 10_000_000)
        // < 2 %: grow 8 % over the lowest target of the last second, plus 1 kbit/s.
        Self.lossBased(&estimator, lossPercent: 1, target: 1_000_000, at: 0)
        #expect(estimator.estimate == 1_081_000)
        #expect(estimator.lossRatio == 0.01)
        // 2-10 %: hold (at the rate in force).
        Self.lossBased(&estimator, lossPercent: 5, target: 1_081_000, at: 100 * ms)
        #expect(estimator.estimate == 1_081_000)
        Self.lossBased(&estimator, lossPercent: 10, target: 1_081_000, at: 200 * ms)
        #expect(estimator.estimate == 1_081_000)
        // > 10 %: × (1 − 0.5 × loss).
        Self.lossBased(&estimator, lossPercent: 20, target: 1_081_000, at: 300 * ms)
        #expect(estimator.estimate == 972_900)
        // Again 100 ms later: too soon (300 ms + RTT), hold.
        Self.lossBased(&estimator, lossPercent: 20, target: 972_900, at: 400 * ms)
        #expect(estimator.estimate == 972_900)
        Self.lossBased(&estimator, lossPercent: 20, target: 972_900, at: 700 * ms)
        #expect(estimator.estimate == 875_610)
        // Low loss again: grows from the lowest target of the last second, not from the highest.
        Self.lossBased(&estimator, lossPercent: 0, target: 875_610, at: 800 * ms)
        #expect(estimator.estimate == UInt64((875_610.0 * 1.08 + 1000).rounded()))
    }

    @Test func lossIsCountedOverAtLeastTwentyPackets() {
        var estimator = LossBasedEstimator(initial: 1_000_000, minimum: 30_000, maximum: 10_000_000)
        // One loss in five packets is not 20 % loss yet...
        estimator.update(received: 4, lost: 1, recovered: 0, target: 1_000_000, rtt: 0, at: 0)
        #expect(estimator.estimate == 1_000_000 && estimator.lossRatio == 0)
        // ...and with 15 more received it is 5 %: hold.
        estimator.update(received: 15, lost: 0, recovered: 0, target: 1_000_000, rtt: 0, at: 100 * ms)
        #expect(estimator.lossRatio == 0.05)
        #expect(estimator.estimate == 1_000_000)
    }
}
