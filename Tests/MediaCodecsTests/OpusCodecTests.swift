import Testing
@testable import MediaCodecs

@Suite struct OpusCodecTests {
    static let tone = 440.0
    static let sampleRate = Double(OpusEncoder.sampleRate)

    /// Encodes one second of the synthetic tone in 20 ms frames and decodes it back.
    static func roundTrip(channels: AudioChannels, application: OpusEncoder.Application = .voip, bitrate: Int = 32_000)
        throws -> (input: [Int16], output: [Int16], packets: [[UInt8]])
    {
        var source = SyntheticAudioSource(channels: channels, frequency: tone)
        let encoder = try OpusEncoder(.init(channels: channels, application: application, bitrate: bitrate))
        let decoder = try OpusDecoder(channels: channels)
        var input: [Int16] = [], output: [Int16] = [], packets: [[UInt8]] = []
        for _ in 0..<50 {
            let pcm = source.nextFrame()
            let packet = try encoder.encode(pcm)
            input += pcm
            packets.append(packet)
            output += try decoder.decode(packet)
        }
        return (input, output, packets)
    }

    /// RFC 6716 §3.1 Table 2: frame size per TOC configuration number.
    static func frameDurationMicroseconds(config: Int) -> Int {
        switch config {
        case 0...11: [10_000, 20_000, 40_000, 60_000][config % 4]   // SILK-only
        case 12...15: [10_000, 20_000][config % 2]                  // Hybrid
        default: [2_500, 5_000, 10_000, 20_000][config % 4]          // CELT-only
        }
    }

    @Test(arguments: AudioChannels.allCases)
    func toneSurvivesRoundTrip(channels: AudioChannels) throws {
        let (input, output, packets) = try Self.roundTrip(channels: channels)
        #expect(output.count == input.count)
        #expect(packets.allSatisfy { !$0.isEmpty && $0.count <= OpusEncoder.maxPacketSize })
        // RFC 6716 §3.1: every TOC byte says "one frame (code 0) of 20 ms", and the stereo flag matches.
        for packet in packets {
            let toc = packet[0]
            #expect(toc & 0x03 == 0)
            #expect(Self.frameDurationMicroseconds(config: Int(toc >> 3)) == 20_000)
            #expect((toc & 0x04 != 0) == (channels == .stereo))
        }
        let totalBits = packets.reduce(0) { $0 + $1.count } * 8
        #expect(totalBits > 8_000 && totalBits < 96_000, "\(totalBits) bits for a 32 kbit/s second")

        for channel in 0..<channels.rawValue {
            let inputChannel = SignalMetrics.channel(channel, of: input, channels: channels.rawValue)
            let outputChannel = SignalMetrics.channel(channel, of: output, channels: channels.rawValue)
            // Skip the first 100 ms: encoder look-ahead and decoder start-up.
            let window = outputChannel[4_800...]
            let inputRMS = SignalMetrics.rms(inputChannel[4_800...])
            let outputRMS = SignalMetrics.rms(window)
            #expect(outputRMS > 0.7 * inputRMS && outputRMS < 1.3 * inputRMS, "RMS \(outputRMS) vs \(inputRMS)")

            let atTone = SignalMetrics.magnitude(of: window, at: Self.tone, sampleRate: Self.sampleRate)
            for other in [110.0, 220, 330, 550, 660, 880, 1_000, 2_000, 5_000] {
                let elsewhere = SignalMetrics.magnitude(of: window, at: other, sampleRate: Self.sampleRate)
                #expect(atTone > 10 * elsewhere, "\(other) Hz: \(elsewhere) vs \(atTone) at the tone")
            }
        }
    }

    @Test func musicApplicationAndCallerBufferAgree() throws {
        var source = SyntheticAudioSource(frequency: Self.tone)
        let a = try OpusEncoder(.init(application: .audio, bitrate: 64_000))
        let b = try OpusEncoder(.init(application: .audio, bitrate: 64_000))
        var buffer = [UInt8](repeating: 0, count: 1_500)
        for _ in 0..<10 {
            let pcm = source.nextFrame()
            let packet = try a.encode(pcm)
            let count = try pcm.withUnsafeBufferPointer { samples in
                try buffer.withUnsafeMutableBytes { try b.encode(samples, into: $0) }
            }
            #expect(Array(buffer[..<count]) == packet)
        }
    }

    @Test func encoderRejectsBadFramesAndSettings() throws {
        let encoder = try OpusEncoder()
        #expect(throws: OpusCodecError.invalidFrameSize(samples: 1000)) {
            try encoder.encode([Int16](repeating: 0, count: 1000))
        }
        #expect(throws: OpusCodecError.invalidFrameSize(samples: 0)) { try encoder.encode([]) }
        let stereo = try OpusEncoder(.init(channels: .stereo))
        #expect(throws: OpusCodecError.invalidFrameSize(samples: 961)) {
            try stereo.encode([Int16](repeating: 0, count: 961))
        }
        // 10 ms is a legal Opus frame (RFC 6716 §2.1.4).
        #expect(try encoder.encode([Int16](repeating: 0, count: 480)).count > 0)
        #expect(throws: OpusCodecError.badArgument) { try OpusEncoder(.init(bitrate: -5)) }
        #expect(throws: OpusCodecError.badArgument) { try OpusEncoder(.init(expectedPacketLossPercent: 101)) }
        #expect(throws: OpusCodecError.badArgument) { try OpusEncoder(.init(complexity: 11)) }
    }

    @Test func decoderRejectsMalformedPackets() throws {
        let decoder = try OpusDecoder()
        // RFC 6716 §3.4: R1 packets are at least one byte.
        #expect(throws: OpusCodecError.invalidPacket) { try decoder.decode([]) }
        // R5: a code 3 packet must hold at least one frame (M = 0 here).
        #expect(throws: OpusCodecError.invalidPacket) { try decoder.decode([0x03, 0x00]) }
        // R3: a code 1 packet splits an even payload into two equal frames; 3 bytes cannot.
        #expect(throws: OpusCodecError.invalidPacket) { try decoder.decode([0x01, 0xAA, 0xBB, 0xCC]) }
        // R4: a code 2 packet whose first-frame length runs past the end.
        #expect(throws: OpusCodecError.invalidPacket) { try decoder.decode([0x02, 0xFB, 0x00]) }
        // Code 3 with M = 48 x 20 ms = 960 ms exceeds the 120 ms limit (R5).
        #expect(throws: OpusCodecError.invalidPacket) {
            try decoder.decode([0x0B, 0x30] + [UInt8](repeating: 0, count: 48))
        }

        var random = SplitMix64(state: 0x0095)
        var rejected = 0, decoded = 0
        for length in [1, 2, 3, 5, 17, 100, 400, 1275] {
            for _ in 0..<25 {
                let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                do {
                    let pcm = try decoder.decode(garbage)
                    #expect(pcm.count > 0 && pcm.count <= OpusDecoder.maxSamplesPerChannel)
                    decoded += 1
                } catch {  // `error` is statically an OpusCodecError (typed throws).
                    #expect(error == .invalidPacket)
                    rejected += 1
                }
            }
        }
        #expect(rejected > 0 && decoded > 0)
    }

    @Test func concealsLostPackets() throws {
        var source = SyntheticAudioSource(frequency: Self.tone)
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        // Before any packet, concealment defaults to 20 ms.
        #expect(try decoder.concealLostFrame().count == 960)
        for _ in 0..<10 { _ = try decoder.decode(try encoder.encode(source.nextFrame())) }
        let concealed = try decoder.concealLostFrame()
        #expect(concealed.count == 960)
        // PLC extrapolates the tone rather than emitting silence.
        #expect(SignalMetrics.rms(concealed[...]) > 100)
        #expect(try decoder.concealLostFrame(samplesPerChannel: 480).count == 480)
        for bad in [0, 100, 5_880] {
            #expect(throws: OpusCodecError.invalidFrameSize(samples: bad)) {
                try decoder.concealLostFrame(samplesPerChannel: bad)
            }
        }
    }

    @Test func inbandFECRecoversTheLostFrame() throws {
        var source = SyntheticAudioSource(frequency: 300)
        let encoder = try OpusEncoder(.init(bitrate: 32_000, inbandFEC: true, expectedPacketLossPercent: 20))
        let decoder = try OpusDecoder()
        var packets: [[UInt8]] = []
        for _ in 0..<20 { packets.append(try encoder.encode(source.nextFrame())) }
        for packet in packets[..<10] { _ = try decoder.decode(packet) }
        // Packet 10 is lost; packet 11 carries its FEC copy.
        let recovered = try decoder.recoverLostFrame(usingNext: packets[11])
        #expect(recovered.count == 960)
        #expect(SignalMetrics.rms(recovered[...]) > 1_000)
        #expect(try decoder.decode(packets[11]).count == 960)
        #expect(throws: OpusCodecError.invalidPacket) { try decoder.recoverLostFrame(usingNext: []) }
    }
}
