import VP8

func parse(_ bytes: [UInt8]) -> Result<VP8RTPPayload, VP8Error> {
    bytes.withUnsafeBytes { buffer in
        Result { () throws(VP8Error) -> VP8RTPPayload in try VP8RTPPayload(parsing: buffer) }
    }
}

func encode(_ descriptor: VP8PayloadDescriptor) -> Result<[UInt8], VP8Error> {
    Result { () throws(VP8Error) -> [UInt8] in try descriptor.bytes() }
}

/// The first bytes of a VP8 frame as RFC 6386 §9.1 lays them out: a 3-byte little-endian frame
/// tag (key_frame bit inverted, version, show_frame, first partition size) and, for keyframes,
/// the start code and 14-bit dimensions with 2-bit scaling.
func vp8FrameHeader(
    keyframe: Bool, version: UInt32 = 0, show: Bool = true, firstPartitionSize: UInt32,
    width: UInt16 = 0, height: UInt16 = 0, horizontalScale: UInt16 = 0, verticalScale: UInt16 = 0
) -> [UInt8] {
    let tag = (keyframe ? 0 : 1) | version << 1 | (show ? 1 : 0) << 4 | firstPartitionSize << 5
    var bytes = [UInt8(tag & 0xFF), UInt8((tag >> 8) & 0xFF), UInt8((tag >> 16) & 0xFF)]
    if keyframe {
        let w = width | horizontalScale << 14
        let h = height | verticalScale << 14
        bytes += [0x9D, 0x01, 0x2A, UInt8(w & 0xFF), UInt8(w >> 8), UInt8(h & 0xFF), UInt8(h >> 8)]
    }
    return bytes
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
