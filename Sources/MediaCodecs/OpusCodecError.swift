/// Why an Opus call failed. libopus status codes map one-to-one; the rest are caught before libopus sees the input.
public enum OpusCodecError: Error, Sendable, Equatable {
    /// `OPUS_BAD_ARG`: libopus rejected a parameter (e.g. a bitrate or frame size it cannot use).
    case badArgument
    /// `OPUS_BUFFER_TOO_SMALL`: the output buffer cannot hold the packet or decoded frame.
    case bufferTooSmall
    /// `OPUS_INTERNAL_ERROR`.
    case internalError
    /// `OPUS_INVALID_PACKET`, or an empty packet (RFC 6716 §3.4 R1: a packet holds at least one byte).
    case invalidPacket
    /// `OPUS_UNIMPLEMENTED`.
    case unimplemented
    /// `OPUS_INVALID_STATE`.
    case invalidState
    /// `OPUS_ALLOC_FAIL`.
    case allocationFailed
    /// The PCM sample count is not a legal Opus frame (2.5–60 ms per channel, RFC 6716 §2.1.4).
    case invalidFrameSize(samples: Int)
    /// A status code this wrapper does not know.
    case unknown(code: Int32)

    init(status: Int32) {
        switch status {
        case -1: self = .badArgument
        case -2: self = .bufferTooSmall
        case -3: self = .internalError
        case -4: self = .invalidPacket
        case -5: self = .unimplemented
        case -6: self = .invalidState
        case -7: self = .allocationFailed
        default: self = .unknown(code: status)
        }
    }
}
