/// A VP8 PictureID in the width the sender chose (RFC 7741 §4.2, M bit).
///
/// The width is kept because a relay rewriting PictureIDs in place must write the same width
/// it found: changing it would shift the payload.
public enum VP8PictureID: Sendable, Equatable, Hashable {
    /// M = 0: one byte, 0...127.
    case sevenBit(UInt8)
    /// M = 1: two bytes, 0...32767. What libwebrtc sends.
    case fifteenBit(UInt16)

    public var value: UInt16 {
        switch self {
        case .sevenBit(let id): UInt16(id)
        case .fifteenBit(let id): id
        }
    }

    /// Bytes the field occupies in the descriptor.
    public var encodedLength: Int {
        switch self {
        case .sevenBit: 1
        case .fifteenBit: 2
        }
    }
}
