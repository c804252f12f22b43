import RTCP

/// Deterministic PRNG so property and fuzz tests are reproducible (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bytes from a hex string; whitespace is ignored so vectors can be laid out word by word.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd hex digit count")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func ascii(_ buffer: UnsafeRawBufferPointer?) -> String? {
    buffer.map { String(decoding: $0, as: UTF8.self) }
}

/// Every packet of a compound datagram, copied out as (type, range) so tests can inspect it after
/// the borrow ends.
func packetLayout(_ bytes: [UInt8]) throws -> [(type: RTCPPacketType, range: Range<Int>)] {
    try bytes.withUnsafeBytes { buffer in
        try RTCPCompoundPacket(validating: buffer).map { ($0.header.packetType, $0.range) }
    }
}
