import Testing

@testable import RelayServer

@Suite struct BatchDelayHistogramTests {
    @Test func delaysLandInTheBucketOfTheirUpperBoundAndQuantilesReadThem() {
        var histogram = BatchDelayHistogram.empty()
        #expect(histogram.quantileUpperBound(0.99) == nil)
        for _ in 0..<98 { histogram.record(nanoseconds: 30_000) }  // (25, 50] µs
        histogram.record(nanoseconds: 1_500_000)  // (1, 2] ms
        histogram.record(nanoseconds: 400_000_000)  // beyond the largest bound
        histogram.record(nanoseconds: -5)  // a clock that went backwards counts as zero
        #expect(histogram.count == 101)
        #expect(histogram.counts[0] == 1 && histogram.counts[1] == 98)
        #expect(histogram.counts[6] == 1)
        #expect(histogram.counts.last == 1)
        #expect(histogram.quantileUpperBound(0.5) == 50_000)
        #expect(histogram.quantileUpperBound(0.99) == 2_000_000)
        #expect(histogram.quantileUpperBound(1) == nil, "the largest delay is beyond every bound")
        var total = BatchDelayHistogram.empty()
        total.add(histogram)
        total.add(histogram)
        #expect(total.count == 202)
        #expect(total.sumNanoseconds == 2 * histogram.sumNanoseconds)
    }

    @Test func aRecorderTimesEveryDatagramOfABatchToItsFlush() {
        let recorder = BatchDelayRecorder()
        let start = ContinuousClock.now
        recorder.read(at: start)
        recorder.read(at: start + .microseconds(700))
        recorder.flushed(at: start + .microseconds(900))
        #expect(recorder.histogram.counts[5] == 1, "900 µs: (500 µs, 1 ms]")
        #expect(recorder.histogram.counts[3] == 1, "200 µs: (100, 200] µs")
        recorder.flushed(at: start + .seconds(1))
        #expect(recorder.histogram.count == 2, "a flush with nothing read records nothing")
    }
}
