@testable import Congestion
import RTCP
import Testing

/// Joining real transport-wide feedback (built with the RTCP encoder) with what was sent.
@Suite struct TransportFeedbackAdapterTests {
    typealias Arrival = TransportWideFeedback.Arrival

    /// Sends `count` packets from `first`, 10 ms apart, 1000 + i bytes.
    static func adapter(sending count: Int, from first: UInt16 = 0) -> TransportFeedbackAdapter {
        var adapter = TransportFeedbackAdapter(capacity: 1024)
        for index in 0..<count {
            adapter.onPacketSent(
                sequenceNumber: first &+ UInt16(index), size: 1000 + index, at: Int64(index) * 10 * ms,
                probeCluster: nil)
        }
        return adapter
    }

    @Test func joinsArrivalsWithSendTimesAcrossTheSequenceWrap() throws {
        var adapter = Self.adapter(sending: 6, from: 65_533)
        let arrivals = [
            Arrival(sequenceNumber: 65_533, time: 1_000_000),
            Arrival(sequenceNumber: 65_534, time: nil),
            Arrival(sequenceNumber: 65_535, time: 1_020_500),
            Arrival(sequenceNumber: 0, time: 1_030_250),
            // 1 skipped: reported not received
            Arrival(sequenceNumber: 2, time: 1_049_000),
        ]
        let summary = try withFeedback(arrivals) { adapter.adapt($0) }
        #expect(summary.received == 4)
        #expect(summary.lost == 2)
        #expect(summary.newestReceivedSendTime == 50 * ms)
        let results = Array(adapter.results)
        #expect(results.map(\.sequenceNumber) == [65_533, 65_534, 65_535, 65_536, 65_537, 65_538])
        #expect(results.map(\.size) == [1000, 1001, 1002, 1003, 1004, 1005])
        #expect(results.map(\.sendTime) == [0, 10 * ms, 20 * ms, 30 * ms, 40 * ms, 50 * ms])
        // Arrivals to the 250 µs grid, in ns.
        #expect(results.map(\.arrivalTime) == [1_000_000_000, nil, 1_020_500_000, 1_030_250_000, nil, 1_049_000_000])
    }

    @Test func referenceTimeWrapKeepsArrivalTimesIncreasing() throws {
        var adapter = Self.adapter(sending: 2)
        let tick = TransportWideFeedback.referenceTimeTick  // 64 ms in µs
        // Reference 2^23 − 1 (the largest signed value), then −2^23: one tick later on the 24-bit wheel.
        let firstReference = Int64(0x7F_FFFF)
        try withFeedback([Arrival(sequenceNumber: 0, time: firstReference * tick + 1000)]) { _ = adapter.adapt($0) }
        let first = try #require(adapter.results.first?.arrivalTime)
        try withFeedback([Arrival(sequenceNumber: 1, time: -0x80_0000 * tick + 1000)]) { _ = adapter.adapt($0) }
        let second = try #require(adapter.results.first?.arrivalTime)
        #expect(second - first == tick * 1000)
    }

    @Test func ignoresNeverSentStaleAndDuplicateReports() throws {
        var adapter = Self.adapter(sending: 3, from: 100)
        // Feedback before anything was sent on a fresh adapter yields nothing.
        var fresh = TransportFeedbackAdapter(capacity: 64)
        let nothing = try withFeedback([Arrival(sequenceNumber: 5, time: 0)]) { fresh.adapt($0) }
        #expect(nothing == FeedbackSummary())
        #expect(fresh.results.isEmpty)

        // 100...102 were sent; 103...110 never were.
        let arrivals = (100...110).map { Arrival(sequenceNumber: UInt16($0), time: Int64($0) * 1000) }
        var summary = try withFeedback(arrivals) { adapter.adapt($0) }
        #expect(summary.received == 3)
        #expect(adapter.results.map(\.sequenceNumber) == [100, 101, 102])

        // The same feedback again: all duplicates.
        summary = try withFeedback(arrivals) { adapter.adapt($0) }
        #expect(summary == FeedbackSummary())
        #expect(adapter.results.isEmpty)

        // Far behind the newest (half a wrap away): treated as never sent.
        summary = try withFeedback([Arrival(sequenceNumber: 40_000, time: 0)]) { adapter.adapt($0) }
        #expect(summary.received == 0 && adapter.results.isEmpty)
    }

    @Test func aLossLaterReportedReceivedCountsAsRecovered() throws {
        var adapter = Self.adapter(sending: 3)
        var summary = try withFeedback([
            Arrival(sequenceNumber: 0, time: 0), Arrival(sequenceNumber: 1, time: nil),
            Arrival(sequenceNumber: 2, time: 20_000),
        ]) { adapter.adapt($0) }
        #expect(summary.lost == 1)
        summary = try withFeedback([Arrival(sequenceNumber: 1, time: 30_000)]) { adapter.adapt($0) }
        #expect(summary.recovered == 1 && summary.received == 1 && summary.lost == 0)
        // Reported lost again afterwards: ignored.
        summary = try withFeedback([Arrival(sequenceNumber: 1, time: nil), Arrival(sequenceNumber: 2, time: 20_000)]) {
            adapter.adapt($0)
        }
        #expect(summary == FeedbackSummary())
    }

    @Test func absurdDeltasAreCarriedNotTrapped() throws {
        var adapter = Self.adapter(sending: 4)
        // Largest negative and positive deltas the format allows (±8.19 s), back to back.
        let summary = try withFeedback([
            Arrival(sequenceNumber: 0, time: 9_000_000), Arrival(sequenceNumber: 1, time: 9_000_000 - 8_191_750),
            Arrival(sequenceNumber: 2, time: 9_000_000), Arrival(sequenceNumber: 3, time: 9_000_000 + 8_191_750),
        ]) { adapter.adapt($0) }
        #expect(summary.received == 4)
        #expect(adapter.results.map(\.arrivalTime) == [9_000_000_000, 808_250_000, 9_000_000_000, 17_191_750_000])
    }

    @Test func anOversizedFeedbackIsCutAtTheResultsBuffer() throws {
        var adapter = TransportFeedbackAdapter(capacity: 4096, maxResultsPerFeedback: 100)
        for index in 0..<300 { adapter.onPacketSent(sequenceNumber: UInt16(index), size: 1000, at: Int64(index) * ms) }
        let arrivals = (0..<300).map { Arrival(sequenceNumber: UInt16($0), time: Int64($0) * 1000) }
        let summary = try withFeedback(arrivals) { adapter.adapt($0) }
        #expect(adapter.results.count == 100)
        #expect(summary.received == adapter.results.count)
        #expect(adapter.results.last?.sequenceNumber == Int64(adapter.results.count - 1))
    }

    /// The results buffer starts small and grows with what the leg's feedback holds, up to its cap.
    @Test func theResultsBufferGrowsWithTheFeedbackNotBeforeIt() throws {
        var adapter = TransportFeedbackAdapter(capacity: 4096)
        #expect(adapter.results.capacity < 100)
        for index in 0..<600 { adapter.onPacketSent(sequenceNumber: UInt16(index), size: 1000, at: Int64(index) * ms) }
        let arrivals = (0..<600).map { Arrival(sequenceNumber: UInt16($0), time: Int64($0) * 1000) }
        let summary = try withFeedback(arrivals) { adapter.adapt($0) }
        #expect(summary.received == 600 && adapter.results.count == 600)
        #expect(adapter.results.last?.sequenceNumber == 599)
    }

    /// Random bytes shaped like transport-cc feedback, through the whole estimator: it may make
    /// nothing of them, but it must not trap and its target must stay within its bounds.
    @Test func randomFeedbackNeverTraps() throws {
        var random = SplitMix64(seed: 42)
        var estimator = SendSideBandwidthEstimator()
        var accepted = 0
        for round in 0..<3000 {
            for index in 0..<8 {
                estimator.onPacketSent(
                    sequenceNumber: UInt16(truncatingIfNeeded: round * 8 + index), size: Int(random.next() % 1500),
                    at: Int64(round) * 20 * ms, probeCluster: random.next() % 4 == 0 ? Int(random.next() % 3) : nil)
            }
            if round % 100 == 0, let cluster = estimator.pollProbe(at: Int64(round) * 20 * ms) {
                #expect(cluster.bitrate <= estimator.configuration.maximumBitrate)
            }
            let statusCount = Int(random.next() % 64) + 1
            var bytes: [UInt8] = [0x8F, 205, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]
            let base = UInt16(truncatingIfNeeded: round * 8 - Int(random.next() % 64))
            bytes += [UInt8(base >> 8), UInt8(base & 0xFF), 0, UInt8(statusCount)]
            bytes += (0..<4).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let body = Int(random.next() % 80)
            bytes += (0..<body).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            while bytes.count % 4 != 0 { bytes.append(0) }
            let words = bytes.count / 4 - 1
            bytes[2] = UInt8(words >> 8)
            bytes[3] = UInt8(words & 0xFF)
            bytes.withUnsafeBytes { buffer in
                guard let feedback = try? TransportWideFeedback(parsing: buffer) else { return }
                accepted += 1
                estimator.onFeedback(feedback, at: Int64(round) * 20 * ms + 5 * ms)
            }
            let target = estimator.targetBitrate
            #expect(target >= estimator.configuration.minimumBitrate && target <= estimator.configuration.maximumBitrate)
        }
        #expect(accepted > 500)  // the generator produced parseable feedback, so the estimator saw it
        #expect(estimator.statistics.feedbackCount > 100)  // and matched much of it to sent packets
    }
}
