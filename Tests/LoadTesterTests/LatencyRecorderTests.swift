import Testing

@testable import LoadTester

/// The tester's latency percentiles come from every sample of the window (HdrHistogram), to three
/// significant digits.
@Suite struct LatencyRecorderTests {
    @Test func percentilesOfAMillionSamplesAreTheirOwnToThreeDigits() {
        var recorder = LatencyRecorder()
        // 1,000,000 samples: 1 µs apart from 1 µs to 1 s, shuffled by a fixed stride so order does not help.
        let count = 1_000_000
        for index in 0..<count {
            let value = (index &* 7_919) % count + 1
            recorder.record(nanoseconds: Int64(value) * 1_000)
        }
        for (p, expected) in [(50.0, 500_000_000.0), (99.0, 990_000_000.0), (99.9, 999_000_000.0)] {
            let value = recorder.percentile(p)
            #expect(abs(value - expected) / expected < 0.001, "p\(p) = \(value) ns, want \(expected)")
        }
    }

    @Test func aRareTailIsSeenAtP999() {
        var recorder = LatencyRecorder()
        // 0.2% of 500,000 samples took 80 ms, the rest 2 ms: p99 is 2 ms, p99.9 is the tail.
        for index in 0..<500_000 { recorder.record(nanoseconds: index % 500 == 0 ? 80_000_000 : 2_000_000) }
        #expect(abs(recorder.percentile(99) - 2_000_000) < 2_000)
        #expect(abs(recorder.percentile(99.9) - 80_000_000) < 80_000)
    }

    @Test func outOfRangeSamplesAreClampedNotLost() {
        var recorder = LatencyRecorder()
        #expect(recorder.percentile(50) == 0)
        recorder.record(nanoseconds: -5)
        recorder.record(nanoseconds: .max)
        #expect(recorder.percentile(0) < 1_000)
        #expect(recorder.percentile(100) >= 59_000_000_000)
    }
}
