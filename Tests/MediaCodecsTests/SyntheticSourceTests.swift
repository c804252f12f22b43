import Testing
@testable import MediaCodecs

@Suite struct SyntheticSourceTests {
    @Test func videoFramesAreDeterministicAndMove() {
        let source = SyntheticVideoSource(width: 320, height: 180)
        let seven = source.frame(at: 7)
        #expect(seven == SyntheticVideoSource(width: 320, height: 180).frame(at: 7))
        #expect(seven != source.frame(at: 8))
        #expect(seven.data.count == I420Frame.byteCount(width: 320, height: 180))

        var reused = source.frame(at: 0)
        source.render(frameIndex: 7, into: &reused)
        #expect(reused == seven)

        let far = source.squareRect(frameIndex: .max)
        #expect(far.x >= 0 && far.x + far.size <= 320)
        let a = source.squareRect(frameIndex: 10), b = source.squareRect(frameIndex: 11)
        #expect(a.x != b.x || a.y != b.y)
        // The square stays inside the picture and below the counter bar for a long run.
        for index in 0..<2_000 {
            let square = source.squareRect(frameIndex: index)
            #expect(square.x >= 0 && square.x + square.size <= 320)
            #expect(square.y >= source.counterBarHeight && square.y + square.size <= 180)
        }
    }

    @Test func grainIsNewInEveryFrameAndLeavesTheCounterReadable() {
        let plain = SyntheticVideoSource(width: 160, height: 96)
        let grainy = SyntheticVideoSource(width: 160, height: 96, grain: 20)
        #expect(grainy.frame(at: 5) == SyntheticVideoSource(width: 160, height: 96, grain: 20).frame(at: 5))
        let clean = plain.frame(at: 5), noisy = grainy.frame(at: 5)
        let bar = grainy.counterBarHeight * 160
        // Below the bar every pixel moves by at most the grain, and most move.
        var moved = 0
        for pixel in bar..<(160 * 96) {
            let difference = abs(Int(noisy.data[pixel]) - Int(clean.data[pixel]))
            #expect(difference <= 20)
            if difference > 0 { moved += 1 }
        }
        #expect(moved > (160 * 96 - bar) * 8 / 10)
        #expect(Array(noisy.data[0..<bar]) == Array(clean.data[0..<bar]))
        #expect(grainy.frameCounter(in: noisy) == 5)
        // The next frame's grain is not this one's moved: the difference from the clean picture changes.
        let next = grainy.frame(at: 6), cleanNext = plain.frame(at: 6)
        let sameGrain = (bar..<(160 * 96)).filter {
            Int(next.data[$0]) - Int(cleanNext.data[$0]) == Int(noisy.data[$0]) - Int(clean.data[$0])
        }.count
        #expect(sameGrain < (160 * 96 - bar) / 4)
        #expect(SyntheticVideoSource(width: 160, height: 96, grain: 1_000).grain == SyntheticVideoSource.maximumGrain)
    }

    @Test(arguments: [0, 1, 2, 255, 4_660, 65_535, 65_536 + 9])
    func frameCounterReadsBack(index: Int) {
        let source = SyntheticVideoSource(width: 160, height: 96)
        #expect(source.frameCounter(in: source.frame(at: index)) == index % 65_536)
        #expect(source.frameCounter(in: I420Frame(width: 32, height: 32)) == nil)
    }

    @Test func i420FrameValidatesPackedLength() {
        #expect(I420Frame.byteCount(width: 5, height: 3) == 15 + 2 * 3 * 2)
        #expect(I420Frame(width: 5, height: 3, data: [UInt8](repeating: 0, count: 27)) != nil)
        #expect(I420Frame(width: 5, height: 3, data: [UInt8](repeating: 0, count: 26)) == nil)
        #expect(I420Frame(width: 0, height: 3, data: []) == nil)
        let black = I420Frame(width: 4, height: 2)
        #expect(black.data[black.yRange].allSatisfy { $0 == 16 })
        #expect(black.data[black.uRange.lowerBound...].allSatisfy { $0 == 128 })
    }

    @Test func audioFramesContinueTheSameWaveform() {
        var source = SyntheticAudioSource(channels: .stereo, frequency: 1_000, amplitude: 0.25)
        let first = source.nextFrame(samplesPerChannel: 960)
        let second = source.nextFrame(samplesPerChannel: 480)
        #expect(first.count == 1_920 && second.count == 960)
        #expect(source.position == 1_440)
        let reference = SyntheticAudioSource(channels: .stereo, frequency: 1_000, amplitude: 0.25)
        let expected = (0..<1_440).flatMap { [reference.sample(at: $0), reference.sample(at: $0)] }
        #expect(first + second == expected)
        let peak = (first + second).map { abs(Int($0)) }.max() ?? 0
        #expect(peak <= Int(0.25 * 32_767) && peak > Int(0.2 * 32_767))
    }

    @Test func audioEnvelopeSwellsSlowly() {
        // 0.5 Hz modulation with depth 0.5: loudest at t = 0, quietest at t = 1 s.
        let source = SyntheticAudioSource(
            frequency: 500, amplitude: 0.5, modulationFrequency: 0.5, modulationDepth: 0.5)
        let loud = SignalMetrics.rms((0..<4_800).map { source.sample(at: $0) }[...])
        let quiet = SignalMetrics.rms((45_600..<50_400).map { source.sample(at: $0) }[...])
        #expect(quiet < 0.6 * loud && quiet > 0.4 * loud)
    }
}
