/// An 8-bit planar YUV 4:2:0 picture, the layout VP8 codes (RFC 6386 §2).
///
/// The three planes sit back to back in one array without row padding (Y: `width`×`height`,
/// then U and V: `chromaWidth`×`chromaHeight` each), so a frame is one allocation and can be
/// re-rendered in place without reallocating.
public struct I420Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Y, U and V planes, packed; see `yRange`, `uRange`, `vRange`.
    public var data: [UInt8]

    /// Chroma is subsampled 2×2, rounding up for odd sizes.
    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }

    public var yRange: Range<Int> { 0..<(width * height) }
    public var uRange: Range<Int> { yRange.upperBound..<(yRange.upperBound + chromaWidth * chromaHeight) }
    public var vRange: Range<Int> { uRange.upperBound..<(uRange.upperBound + chromaWidth * chromaHeight) }

    /// Whether `data` has exactly the packed length for `width`×`height`; `data` is publicly
    /// settable, so consumers that hand it to C code check this first.
    public var hasValidLayout: Bool { data.count == Self.byteCount(width: width, height: height) }

    /// Bytes needed for a packed I420 frame of this size.
    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
    }

    /// A black frame (limited-range Y 16, neutral chroma 128). Sizes must be positive.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "I420Frame needs a positive size")
        self.width = width
        self.height = height
        self.data = [UInt8](repeating: 128, count: Self.byteCount(width: width, height: height))
        data.withUnsafeMutableBufferPointer { $0[0..<(width * height)].update(repeating: 16) }
    }

    /// Wraps packed planes; `nil` if the size is not positive or `data` has the wrong length.
    public init?(width: Int, height: Int, data: [UInt8]) {
        guard width > 0, height > 0, data.count == Self.byteCount(width: width, height: height) else { return nil }
        self.width = width
        self.height = height
        self.data = data
    }
}
