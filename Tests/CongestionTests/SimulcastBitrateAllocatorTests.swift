import Congestion
import Testing

/// Layers filled lowest first, paused from the top when their minimum does not fit, resumed with hysteresis.
@Suite struct SimulcastBitrateAllocatorTests {
    /// A 1280x720 camera's three layers with libwebrtc's minimums for their sizes (kbit/s: 30, 150, 600).
    static let layers = [
        SimulcastBitrateAllocator.Layer(minimum: 30_000, target: 150_000, maximum: 150_000),
        SimulcastBitrateAllocator.Layer(minimum: 150_000, target: 500_000, maximum: 500_000),
        SimulcastBitrateAllocator.Layer(minimum: 600_000, target: 2_500_000, maximum: 3_000_000),
    ]

    @Test func ampleBandwidthGivesEveryLayerItsTargetAndTheTopItsMaximum() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        #expect(allocator.allocate(10_000_000) == [150_000, 500_000, 3_000_000])
        #expect(allocator.enabled == [true, true, true])
        // Between the top's target and maximum, the top takes what is left.
        #expect(allocator.allocate(3_400_000) == [150_000, 500_000, 2_750_000])
    }

    @Test func aCappedEstimateFillsLowerLayersFirstAndTheTopGetsTheRest() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        #expect(allocator.allocate(1_300_000) == [150_000, 500_000, 650_000])
    }

    @Test func aLayerWhoseMinimumNoLongerFitsIsPausedAndTheLayerBelowKeepsItsShare() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        _ = allocator.allocate(1_300_000)
        // 350k left after the two lower layers: under the top's 600k minimum. The middle layer is already at
        // its maximum, so the rest goes unused rather than above what that layer asked for.
        #expect(allocator.allocate(1_000_000) == [150_000, 500_000, 0])
        #expect(allocator.enabled == [true, true, false])
        // Less again: the middle layer pauses too.
        #expect(allocator.allocate(170_000) == [150_000, 0, 0])
        #expect(allocator.enabled == [true, false, false])
    }

    @Test func aPausedLayerResumesOnlyWithTwentyPercentAboveItsMinimum() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        _ = allocator.allocate(1_000_000)
        #expect(allocator.enabled == [true, true, false])
        // 600k left for the top: its minimum, but not 1.2 times it.
        #expect(allocator.allocate(1_250_000) == [150_000, 500_000, 0])
        // 720k left: resumes.
        #expect(allocator.allocate(1_370_000) == [150_000, 500_000, 720_000])
        // Once running it stays down to its plain minimum.
        #expect(allocator.allocate(1_250_000) == [150_000, 500_000, 600_000])
    }

    @Test func theFirstAllocationNeedsNoHysteresis() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        #expect(allocator.allocate(400_000) == [150_000, 250_000, 0])
    }

    @Test func theLowestLayerNeverGoesBelowItsMinimum() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        #expect(allocator.allocate(10_000) == [30_000, 0, 0])
        #expect(allocator.allocate(0) == [30_000, 0, 0])
        #expect(allocator.allocate(100_000) == [100_000, 0, 0])
    }

    @Test func aSingleStreamIsClampedToItsRange() {
        var allocator = SimulcastBitrateAllocator(layers: [.init(minimum: 30_000, target: 1_450_000, maximum: 1_450_000)])
        #expect(allocator.allocate(5_000_000) == [1_450_000])
        #expect(allocator.allocate(800_000) == [800_000])
        #expect(allocator.allocate(1_000) == [30_000])
        #expect(allocator.allocate(UInt64.max) == [1_450_000])
    }

    @Test func nothingIsAllocatedBeyondTheBitrateOrTheLayersMaximums() {
        var allocator = SimulcastBitrateAllocator(layers: Self.layers)
        for bitrate in stride(from: UInt64(0), through: 5_000_000, by: 37_000) {
            let rates = allocator.allocate(bitrate)
            #expect(rates.reduce(0, +) <= max(bitrate, 30_000))
            #expect(zip(rates, Self.layers).allSatisfy { $0 == 0 || ($0 >= $1.minimum && $0 <= $1.maximum) })
            // Never a gap: a layer is sent only when every layer below it is.
            #expect(rates.firstIndex(of: 0).map { rates[$0...].allSatisfy { $0 == 0 } } ?? true)
        }
        // Inconsistent layers are put in order rather than trapping.
        var odd = SimulcastBitrateAllocator(layers: [.init(minimum: 500, target: 100, maximum: 10)])
        #expect(odd.allocate(1_000) == [500])
    }
}
