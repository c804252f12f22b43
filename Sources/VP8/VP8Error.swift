/// Why a VP8 payload could not be parsed, written or rewritten. A plain enum for typed throws,
/// so malformed packets cost no allocation.
public enum VP8Error: Error, Sendable, Equatable, Hashable {
    /// The buffer ends inside the payload descriptor (or before the field being rewritten).
    case truncated
    /// A destination buffer is too small for the descriptor.
    case bufferTooSmall
    /// A descriptor field is outside its bit width (PID > 7, TID > 3, KEYIDX > 31, PictureID
    /// too large for its 7- or 15-bit form).
    case fieldOutOfRange
    /// The descriptor does not carry the field being rewritten.
    case fieldAbsent
    /// The packetizer's maximum payload size leaves no room for frame data.
    case payloadSizeTooSmall
}
