import Testing
@testable import MediaCodecs

@Suite struct VP8CodecTests {
    static let width = 640, height = 360, frameRate = 30, bitrateKbps = 1_000

    /// One second of the synthetic picture, with a keyframe forced halfway.
    static func encodeOneSecond(
        forceAt forced: Int = 15
    ) throws -> (source: SyntheticVideoSource, frames: [VP8EncodedFrame]) {
        let source = SyntheticVideoSource(width: width, height: height)
        let encoder = try VP8Encoder(
            .init(width: width, height: height, frameRate: frameRate, targetBitrateKbps: bitrateKbps))
        var picture = I420Frame(width: width, height: height)
        var frames: [VP8EncodedFrame] = []
        for index in 0..<frameRate {
            source.render(frameIndex: index, into: &picture)
            let encoded = try #require(try encoder.encode(picture, forceKeyframe: index == forced))
            frames.append(encoded)
        }
        return (source, frames)
    }

    /// At a high frame rate the smooth picture runs out of detail below the target; with grain the rate
    /// control reaches it (what `peerlearn-load --grain` is for).
    @Test func grainLetsTheEncoderReachItsTargetAtHighFrameRates() throws {
        func bytesPerSecond(grain: Int) throws -> Int {
            let (width, height, frameRate, kbps) = (320, 180, 120, 4_000)
            let source = SyntheticVideoSource(width: width, height: height, grain: grain)
            let encoder = try VP8Encoder(
                .init(width: width, height: height, frameRate: frameRate, targetBitrateKbps: kbps))
            var picture = I420Frame(width: width, height: height)
            var total = 0
            // The second second: rate control has settled.
            for index in 0..<(2 * frameRate) {
                source.render(frameIndex: index, into: &picture)
                let size = try encoder.encode(picture)?.data.count ?? 0
                if index >= frameRate { total += size }
            }
            return total
        }
        let target = 4_000 * 1_000 / 8
        let smooth = try bytesPerSecond(grain: 0), grainy = try bytesPerSecond(grain: 16)
        #expect(smooth < target * 6 / 10, "the smooth picture used \(smooth) of \(target) bytes")
        #expect(grainy > target * 85 / 100 && grainy < target * 115 / 100, "with grain: \(grainy) of \(target) bytes")
    }

    @Test func oneSecondHitsKeyframesAndBitrateBand() throws {
        let (_, frames) = try Self.encodeOneSecond()
        #expect(frames.count == Self.frameRate)
        #expect(frames.map(\.frameIndex) == Array(0..<Self.frameRate))
        #expect(frames[0].isKeyframe)
        #expect(frames[15].isKeyframe)
        #expect(frames[1..<15].allSatisfy { !$0.isKeyframe })
        // RFC 6386 §9.1: bit 0 of the frame tag is 0 for keyframes, and keyframes carry the start code.
        #expect(frames[15].data[0] & 1 == 0)
        #expect(Array(frames[15].data[3...5]) == [0x9D, 0x01, 0x2A])
        #expect(frames[1].data[0] & 1 == 1)

        let targetBytes = Double(Self.bitrateKbps * 1000 / 8)
        let total = Double(frames.reduce(0) { $0 + $1.data.count })
        #expect(total > 0.3 * targetBytes, "encoded \(total) bytes for a \(targetBytes)-byte target")
        #expect(total < 3 * targetBytes, "encoded \(total) bytes for a \(targetBytes)-byte target")
    }

    @Test func decodesEveryFrameCloseToTheSource() throws {
        let (source, frames) = try Self.encodeOneSecond()
        let decoder = try VP8Decoder()
        for encoded in frames {
            let decoded = try #require(try decoder.decode(encoded.data))
            #expect(decoded.width == Self.width && decoded.height == Self.height)
            let psnr = SignalMetrics.psnr(decoded, source.frame(at: encoded.frameIndex))
            #expect(psnr > 25, "frame \(encoded.frameIndex): PSNR \(psnr) dB")
            #expect(source.frameCounter(in: decoded) == encoded.frameIndex)
        }
    }

    @Test func decoderResumesAtForcedKeyframeAfterLoss() throws {
        let (_, frames) = try Self.encodeOneSecond()
        let decoder = try VP8Decoder()
        // Joining mid-stream: an inter frame before any keyframe has nothing to predict from.
        #expect(throws: VP8CodecError.self) { try decoder.decode(frames[3].data) }
        let resumed = try #require(try decoder.decode(frames[15].data))
        #expect(resumed.width == Self.width)
        #expect(try decoder.decode(frames[16].data) != nil)
    }

    @Test func decoderRejectsGarbageWithTypedErrors() throws {
        let decoder = try VP8Decoder()
        #expect(throws: VP8CodecError.emptyFrame) { try decoder.decode([]) }

        let (_, frames) = try Self.encodeOneSecond()
        let keyframe = frames[0].data
        // A keyframe cut short inside its first partition.
        #expect(throws: VP8CodecError.self) { try decoder.decode(Array(keyframe.prefix(12))) }
        // Corrupted start code (RFC 6386 §9.1).
        var badStartCode = keyframe
        badStartCode[3] ^= 0xFF
        #expect(throws: VP8CodecError.self) { try VP8Decoder().decode(badStartCode) }

        // Random bytes: every outcome must be a typed error or a well-formed picture, never a trap.
        var random = SplitMix64(state: 0x5EED)
        var rejected = 0
        for length in [1, 2, 3, 9, 10, 64, 1500] {
            for _ in 0..<20 {
                let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                do {
                    if let picture = try decoder.decode(garbage) {
                        #expect(picture.data.count == I420Frame.byteCount(width: picture.width, height: picture.height))
                    }
                } catch {  // `error` is statically a VP8CodecError (typed throws).
                    rejected += 1
                    #expect(error != .emptyFrame)
                }
            }
        }
        #expect(rejected > 0)
    }

    @Test func keyframeRequestAppliesToNextFrameOnly() throws {
        let source = SyntheticVideoSource(width: 160, height: 96)
        let encoder = try VP8Encoder(.init(width: 160, height: 96, targetBitrateKbps: 250))
        var keyframes: [Int] = []
        for index in 0..<12 {
            if index == 7 { encoder.requestKeyframe() }
            #expect(encoder.isKeyframePending == (index == 7))
            if try #require(try encoder.encode(source.frame(at: index))).isKeyframe { keyframes.append(index) }
        }
        #expect(keyframes == [0, 7])
        #expect(!encoder.isKeyframePending)
    }

    @Test func oddDimensionsRoundTrip() throws {
        let source = SyntheticVideoSource(width: 97, height: 65)
        let encoder = try VP8Encoder(.init(width: 97, height: 65, targetBitrateKbps: 300))
        let decoder = try VP8Decoder()
        for index in 0..<5 {
            let picture = source.frame(at: index)
            let encoded = try #require(try encoder.encode(picture))
            let decoded = try #require(try decoder.decode(encoded.data))
            #expect(decoded.width == 97 && decoded.height == 65)
            #expect(decoded.data.count == I420Frame.byteCount(width: 97, height: 65))
            #expect(SignalMetrics.psnr(decoded, picture) > 25)
        }
    }

    @Test func rejectsWrongSizeAndBadConfiguration() throws {
        let encoder = try VP8Encoder(.init(width: 64, height: 64, targetBitrateKbps: 200))
        #expect(throws: VP8CodecError.frameSizeMismatch(width: 32, height: 64)) {
            try encoder.encode(I420Frame(width: 32, height: 64))
        }
        // A frame whose public `data` no longer matches its size must not reach libvpx.
        var truncated = I420Frame(width: 64, height: 64)
        truncated.data.removeLast()
        #expect(throws: VP8CodecError.frameSizeMismatch(width: 64, height: 64)) { try encoder.encode(truncated) }
        #expect(throws: VP8CodecError.self) { try VP8Encoder(.init(width: 0, height: 64, targetBitrateKbps: 200)) }
        #expect(throws: VP8CodecError.self) { try VP8Encoder(.init(width: 64, height: 64, targetBitrateKbps: 0)) }
        #expect(throws: VP8CodecError.self) {
            try VP8Encoder(.init(width: 64, height: 64, targetBitrateKbps: 200, speed: 17))
        }
        #expect(throws: VP8CodecError.self) { try encoder.setTargetBitrate(kbps: -1) }
        #expect(encoder.configuration.targetBitrateKbps == 200)
    }

    @Test func bitrateFollowsTarget() throws {
        func bytes(kbps: Int) throws -> Int {
            let source = SyntheticVideoSource(width: 320, height: 180)
            let encoder = try VP8Encoder(.init(width: 320, height: 180, targetBitrateKbps: 1_500))
            try encoder.setTargetBitrate(kbps: kbps)
            var total = 0
            for index in 0..<60 { total += try encoder.encode(source.frame(at: index))?.data.count ?? 0 }
            return total
        }
        #expect(try bytes(kbps: 100) < bytes(kbps: 1_000))
    }

    /// A fixed (negative cpu-used) speed makes output independent of machine load.
    @Test func encodingIsDeterministic() throws {
        func run() throws -> [[UInt8]] {
            let source = SyntheticVideoSource(width: 160, height: 96)
            let encoder = try VP8Encoder(.init(width: 160, height: 96, targetBitrateKbps: 250))
            return try (0..<10).map { try #require(try encoder.encode(source.frame(at: $0))).data }
        }
        #expect(try run() == run())
    }
}
