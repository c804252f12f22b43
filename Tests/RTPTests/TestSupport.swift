import RTP

/// Parses through `withUnsafeBytes`, carrying the typed error out as a `Result`.
func parse(_ bytes: [UInt8]) -> Result<RTPHeader, RTPError> {
    bytes.withUnsafeBytes { buffer in
        Result { () throws(RTPError) -> RTPHeader in try RTPHeader(parsing: buffer) }
    }
}

struct Element: Equatable, CustomStringConvertible {
    var id: UInt8
    var value: [UInt8]
    var description: String { "\(id): \(value)" }
}

/// Every extension element of `bytes` with its value copied out.
func elements(_ bytes: [UInt8], header: RTPHeader) -> [Element] {
    bytes.withUnsafeBytes { buffer in
        header.extensions(in: buffer).map { Element(id: $0.id, value: Array(bytes[$0.range])) }
    }
}

/// Deterministic generator so fuzz-style tests are reproducible.
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

/// A Chromium-style VP8 packet: one-byte extensions abs-send-time (ID 2, 3 bytes) and
/// transport-wide-cc (ID 4, 2 bytes) as negotiated by `a=extmap` in Chrome's default offer,
/// then a VP8 payload descriptor with a 15-bit PictureID and the start of a frame.
let chromiumVP8Packet: [UInt8] = [
    0x90, 0xE0, 0x69, 0x8F,  // V=2 X=1 CC=0, M=1 PT=96, seq 27023
    0xD9, 0xC2, 0x93, 0xDA,  // timestamp
    0x1C, 0x64, 0x27, 0x82,  // SSRC
    0xBE, 0xDE, 0x00, 0x02,  // RFC 8285 one-byte form, 2 words
    0x22, 0x8F, 0xB2, 0x4C,  // ID 2 L=2 (3 bytes): abs-send-time 6.18 fixed point
    0x41, 0x01, 0x23, 0x00,  // ID 4 L=1 (2 bytes): transport-wide seq 291, one padding byte
    0x90, 0x80, 0x9A, 0x2B,  // VP8 descriptor: X S, I, M=1 PictureID 0x1A2B
    0x50, 0x3A, 0x00, 0x9D, 0x01, 0x2A,  // VP8 keyframe tag and start code
]
