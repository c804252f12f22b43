/// Frame size announced by a VP8 keyframe's uncompressed header (RFC 6386 §9.1).
///
/// Relays read it to learn a simulcast layer's resolution without decoding.
public struct VP8KeyframeInfo: Sendable, Equatable, Hashable {
    /// 14-bit width in pixels.
    public var width: UInt16
    /// 14-bit height in pixels.
    public var height: UInt16
    /// 2-bit upscaling code (0 none, 1 5/4, 2 5/3, 3 2).
    public var horizontalScale: UInt8
    public var verticalScale: UInt8

    public init(width: UInt16, height: UInt16, horizontalScale: UInt8 = 0, verticalScale: UInt8 = 0) {
        self.width = width
        self.height = height
        self.horizontalScale = horizontalScale
        self.verticalScale = verticalScale
    }

    /// Bytes of a keyframe's uncompressed data chunk: 3-byte frame tag, 3-byte start code,
    /// 2-byte width, 2-byte height.
    public static let headerLength = 10

    /// The dimensions of the frame starting at `frame`, or nil unless it is a keyframe (frame tag
    /// bit 0 clear) with the start code 9d 01 2a and all ten header bytes present.
    public init?(frame: UnsafeRawBufferPointer) {
        guard frame.count >= Self.headerLength, frame[0] & 0x01 == 0,
              frame[3] == 0x9D, frame[4] == 0x01, frame[5] == 0x2A
        else { return nil }
        // Little-endian 16-bit fields: low 14 bits size, high 2 bits scale.
        let horizontal = UInt16(frame[6]) | UInt16(frame[7]) << 8
        let vertical = UInt16(frame[8]) | UInt16(frame[9]) << 8
        self.init(
            width: horizontal & 0x3FFF, height: vertical & 0x3FFF,
            horizontalScale: UInt8(horizontal >> 14), verticalScale: UInt8(vertical >> 14))
    }
}
