internal import COpus

/// Decodes Opus packets (RFC 6716) into 48 kHz interleaved `Int16` PCM, and conceals lost packets.
///
/// Thread use: not `Sendable`. The decoder keeps inter-packet state (prediction, PLC history), so
/// feed it one stream's packets in order, from one thread (or one actor) at a time.
public final class OpusDecoder {
    public let channels: AudioChannels
    private let state: OpaquePointer

    public init(channels: AudioChannels = .mono) throws(OpusCodecError) {
        var status: Int32 = OPUS_OK
        guard let state = opus_decoder_create(Int32(OpusEncoder.sampleRate), Int32(channels.rawValue), &status),
              status == OPUS_OK else {
            throw OpusCodecError(status: status == OPUS_OK ? OPUS_ALLOC_FAIL : status)
        }
        self.channels = channels
        self.state = state
    }

    deinit { opus_decoder_destroy(state) }

    /// Most samples per channel one packet can hold: 120 ms (RFC 6716 §3.2.5).
    public static let maxSamplesPerChannel = OpusFrameSize.maxSamplesPerChannel

    /// Decodes one packet, returning interleaved PCM sized exactly to the packet's duration.
    public func decode(_ packet: [UInt8]) throws(OpusCodecError) -> [Int16] {
        // `withUnsafeBufferPointer` has typed throws; `withUnsafeBytes` would box the error.
        try packet.withUnsafeBufferPointer { buffer throws(OpusCodecError) in
            let bytes = UnsafeRawBufferPointer(buffer)
            let perChannel = try Self.samplesPerChannel(in: bytes)
            return try decodeToArray(samplesPerChannel: perChannel) { pcm throws(OpusCodecError) in
                try decode(bytes, into: pcm)
            }
        }
    }

    /// Decodes one packet into `pcm` (interleaved), returning samples per channel written.
    public func decode(
        _ packet: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>
    ) throws(OpusCodecError) -> Int {
        // libopus reads an empty packet as "lost" and would silently run PLC instead of failing.
        guard let data = packet.baseAddress, packet.count > 0 else { throw .invalidPacket }
        guard let length = Int32(exactly: packet.count) else { throw .invalidPacket }
        return try run(pcm) { out, frameSize in
            opus_decode(state, data.assumingMemoryBound(to: UInt8.self), length, out, frameSize, 0)
        }
    }

    /// Packet loss concealment (RFC 6716 §4.4): synthesizes audio for a packet that never arrived.
    /// `samplesPerChannel` defaults to the previous packet's duration (20 ms before any packet).
    public func concealLostFrame(samplesPerChannel: Int? = nil) throws(OpusCodecError) -> [Int16] {
        let perChannel = try lossDuration(samplesPerChannel)
        return try decodeToArray(samplesPerChannel: perChannel) { pcm throws(OpusCodecError) in
            try run(pcm) { out, frameSize in opus_decode(state, nil, 0, out, frameSize, 0) }
        }
    }

    /// Rebuilds a lost frame from the in-band FEC data (RFC 6716 §2.1.7) carried by the packet
    /// that followed it. Decode `nextPacket` normally afterwards. If `nextPacket` carries no FEC,
    /// libopus falls back to concealment.
    public func recoverLostFrame(
        usingNext nextPacket: [UInt8], samplesPerChannel: Int? = nil
    ) throws(OpusCodecError) -> [Int16] {
        let perChannel = try lossDuration(samplesPerChannel)
        return try nextPacket.withUnsafeBufferPointer { buffer throws(OpusCodecError) in
            let bytes = UnsafeRawBufferPointer(buffer)
            guard let data = bytes.baseAddress, bytes.count > 0, let length = Int32(exactly: bytes.count) else {
                throw .invalidPacket
            }
            _ = try Self.samplesPerChannel(in: bytes)
            return try decodeToArray(samplesPerChannel: perChannel) { pcm throws(OpusCodecError) in
                try run(pcm) { out, frameSize in
                    opus_decode(state, data.assumingMemoryBound(to: UInt8.self), length, out, frameSize, 1)
                }
            }
        }
    }

    /// Validates the packet's framing (RFC 6716 §3.4) and returns its duration in samples per channel.
    private static func samplesPerChannel(in packet: UnsafeRawBufferPointer) throws(OpusCodecError) -> Int {
        guard let data = packet.baseAddress, packet.count > 0, let length = Int32(exactly: packet.count) else {
            throw .invalidPacket
        }
        let frames = opus_packet_get_nb_frames(data.assumingMemoryBound(to: UInt8.self), length)
        guard frames >= 0 else { throw OpusCodecError(status: frames) }
        let samples = opus_packet_get_nb_samples(
            data.assumingMemoryBound(to: UInt8.self), length, Int32(OpusEncoder.sampleRate))
        guard samples >= 0 else { throw OpusCodecError(status: samples) }
        guard samples > 0, Int(samples) <= maxSamplesPerChannel else { throw .invalidPacket }
        return Int(samples)
    }

    private func lossDuration(_ requested: Int?) throws(OpusCodecError) -> Int {
        if let requested {
            // Concealment works in 2.5 ms steps (120 samples at 48 kHz).
            guard requested > 0, requested % 120 == 0, requested <= Self.maxSamplesPerChannel else {
                throw .invalidFrameSize(samples: requested)
            }
            return requested
        }
        var last: Int32 = 0
        let status = peerlearn_opus_decoder_get_last_packet_duration(state, &last)
        guard status == OPUS_OK else { throw OpusCodecError(status: status) }
        return last > 0 ? Int(last) : OpusEncoder.samplesPerChannelPer20ms
    }

    private func decodeToArray(
        samplesPerChannel: Int,
        _ body: (UnsafeMutableBufferPointer<Int16>) throws(OpusCodecError) -> Int
    ) throws(OpusCodecError) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: samplesPerChannel * channels.rawValue)
        let decoded = try pcm.withUnsafeMutableBufferPointer { buffer throws(OpusCodecError) in try body(buffer) }
        if decoded < samplesPerChannel { pcm.removeLast((samplesPerChannel - decoded) * channels.rawValue) }
        return pcm
    }

    /// Calls libopus with the buffer's capacity in samples per channel and maps its status.
    private func run(
        _ pcm: UnsafeMutableBufferPointer<Int16>,
        _ call: (UnsafeMutablePointer<Int16>, Int32) -> Int32
    ) throws(OpusCodecError) -> Int {
        let capacity = min(pcm.count / channels.rawValue, Self.maxSamplesPerChannel)
        guard let out = pcm.baseAddress, capacity > 0 else { throw .bufferTooSmall }
        let decoded = call(out, Int32(capacity))
        guard decoded >= 0 else { throw OpusCodecError(status: decoded) }
        return Int(decoded)
    }
}

/// libopus state is not thread-safe; see the type's documentation.
@available(*, unavailable)
extension OpusDecoder: Sendable {}
