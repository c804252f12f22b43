internal import COpus

/// Encodes 48 kHz interleaved `Int16` PCM into Opus packets (RFC 6716) as WebRTC sends them (RFC 7587).
///
/// Thread use: not `Sendable`. Every call mutates the libopus state, so use an instance from one
/// thread (or one actor) at a time. The packet buffer is reused across calls, so steady-state
/// encoding allocates only the returned array (or nothing, with `encode(_:into:)`).
public final class OpusEncoder {
    /// The libopus signal model; it trades fidelity against speech intelligibility and delay.
    public enum Application: Sendable, Equatable {
        /// Speech-first tuning, as browsers use for microphones.
        case voip
        /// Fidelity-first tuning for music or mixed content.
        case audio
        /// CELT only: lowest algorithmic delay, no speech mode.
        case restrictedLowDelay
    }

    public struct Configuration: Sendable, Equatable {
        public var channels: AudioChannels
        public var application: Application
        /// Target bitrate in bits per second; libopus accepts 500 ... 512 000.
        public var bitrate: Int
        /// Variable bitrate; off gives constant-size packets.
        public var variableBitrate: Bool
        /// In-band FEC (RFC 6716 §2.1.7): each packet carries a coarse copy of the previous frame,
        /// which `OpusDecoder.recoverLostFrame(usingNext:samplesPerChannel:)` can use.
        public var inbandFEC: Bool
        /// Expected loss in percent; libopus spends FEC bits only when this is above zero.
        public var expectedPacketLossPercent: Int
        /// 0 (cheapest) ... 10; `nil` keeps the libopus default.
        public var complexity: Int?

        public init(
            channels: AudioChannels = .mono,
            application: Application = .voip,
            bitrate: Int = 32_000,
            variableBitrate: Bool = true,
            inbandFEC: Bool = false,
            expectedPacketLossPercent: Int = 0,
            complexity: Int? = nil
        ) {
            self.channels = channels
            self.application = application
            self.bitrate = bitrate
            self.variableBitrate = variableBitrate
            self.inbandFEC = inbandFEC
            self.expectedPacketLossPercent = expectedPacketLossPercent
            self.complexity = complexity
        }
    }

    /// WebRTC Opus always runs at 48 kHz (RFC 7587 §4.1).
    public static let sampleRate = 48_000
    /// Samples per channel in the 20 ms frames WebRTC sends by default.
    public static let samplesPerChannelPer20ms = 960
    /// Largest packet libopus is allowed to write; its documentation recommends 4000 bytes.
    public static let maxPacketSize = 4000

    public let configuration: Configuration
    private let state: OpaquePointer
    private let packetBuffer: UnsafeMutableRawBufferPointer

    public init(_ configuration: Configuration = Configuration()) throws(OpusCodecError) {
        guard (0...100).contains(configuration.expectedPacketLossPercent) else { throw .badArgument }
        if let complexity = configuration.complexity, !(0...10).contains(complexity) { throw .badArgument }
        guard let bitrate = Int32(exactly: configuration.bitrate) else { throw .badArgument }

        let application: Int32 = switch configuration.application {
        case .voip: OPUS_APPLICATION_VOIP
        case .audio: OPUS_APPLICATION_AUDIO
        case .restrictedLowDelay: OPUS_APPLICATION_RESTRICTED_LOWDELAY
        }
        var status: Int32 = OPUS_OK
        guard let state = opus_encoder_create(
            Int32(Self.sampleRate), Int32(configuration.channels.rawValue), application, &status
        ), status == OPUS_OK else {
            throw OpusCodecError(status: status == OPUS_OK ? OPUS_ALLOC_FAIL : status)
        }

        var settings = peerlearn_opus_set_bitrate(state, bitrate)
        if settings == OPUS_OK { settings = peerlearn_opus_set_vbr(state, configuration.variableBitrate ? 1 : 0) }
        if settings == OPUS_OK { settings = peerlearn_opus_set_inband_fec(state, configuration.inbandFEC ? 1 : 0) }
        if settings == OPUS_OK {
            settings = peerlearn_opus_set_packet_loss_perc(state, Int32(configuration.expectedPacketLossPercent))
        }
        if settings == OPUS_OK, let complexity = configuration.complexity {
            settings = peerlearn_opus_set_complexity(state, Int32(complexity))
        }
        guard settings == OPUS_OK else {
            opus_encoder_destroy(state)
            throw OpusCodecError(status: settings)
        }

        self.configuration = configuration
        self.state = state
        self.packetBuffer = .allocate(byteCount: Self.maxPacketSize, alignment: 1)
    }

    deinit {
        opus_encoder_destroy(state)
        packetBuffer.deallocate()
    }

    /// Encodes one frame of interleaved PCM and returns the packet.
    public func encode(_ pcm: [Int16]) throws(OpusCodecError) -> [UInt8] {
        let count = try pcm.withUnsafeBufferPointer { samples throws(OpusCodecError) in
            try encode(samples, into: packetBuffer)
        }
        return Array(UnsafeRawBufferPointer(rebasing: packetBuffer[..<count]))
    }

    /// Encodes one frame of interleaved PCM into `output`, returning the packet length.
    /// `output` bounds the packet size, so a small buffer also caps the bitrate.
    public func encode(
        _ pcm: UnsafeBufferPointer<Int16>, into output: UnsafeMutableRawBufferPointer
    ) throws(OpusCodecError) -> Int {
        let channels = configuration.channels.rawValue
        let perChannel = pcm.count / channels
        guard pcm.count % channels == 0, OpusFrameSize.isValid(samplesPerChannel: perChannel),
              let pcmBase = pcm.baseAddress else {
            throw .invalidFrameSize(samples: pcm.count)
        }
        guard let outBase = output.baseAddress, output.count > 0 else { throw .bufferTooSmall }
        let written = opus_encode(
            state, pcmBase, Int32(perChannel),
            outBase.assumingMemoryBound(to: UInt8.self), Int32(clamping: output.count)
        )
        guard written >= 0 else { throw OpusCodecError(status: written) }
        return Int(written)
    }
}

/// libopus state is not thread-safe; see the type's documentation.
@available(*, unavailable)
extension OpusEncoder: Sendable {}

/// Legal Opus frame durations at 48 kHz: 2.5, 5, 10, 20, 40, 60 ms (RFC 6716 §2.1.4),
/// plus the 80–120 ms multi-frame sizes libopus ≥ 1.2 accepts.
enum OpusFrameSize {
    static let maxSamplesPerChannel = 5760

    static func isValid(samplesPerChannel n: Int) -> Bool {
        switch n {
        case 120, 240, 480, 960, 1920, 2880, 3840, 4800, 5760: true
        default: false
        }
    }
}
