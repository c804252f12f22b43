import Testing
import Mux

private func classify(_ bytes: [UInt8]) -> PacketClass {
    bytes.withUnsafeBytes { PacketClass.classify($0) }
}

/// Independent restatement of the RFC 7983 §7 table, used as the oracle for the exhaustive sweep.
private func expectedClass(first: UInt8, second: UInt8) -> PacketClass {
    if first <= 3 { return .stun }
    if first >= 16 && first <= 19 { return .zrtp }
    if first >= 20 && first <= 63 { return .dtls }
    if first >= 64 && first <= 79 { return .turnChannel }
    if first >= 128 && first <= 191 {
        let pt = second & 0b0111_1111
        return pt >= 64 && pt <= 95 ? .rtcp : .rtp
    }
    return .unknown
}

@Test func everyFirstByteWithRTPPayloadType() {
    for first in 0...255 {
        let b = UInt8(first)
        // 0x60: payload type 96, the usual dynamic video type.
        #expect(classify([b, 0x60, 0, 0]) == expectedClass(first: b, second: 0x60), "first byte \(first)")
    }
}

@Test func everyFirstByteWithRTCPPacketType() {
    for first in 0...255 {
        let b = UInt8(first)
        // 0xC8: RTCP Sender Report (200).
        #expect(classify([b, 0xC8, 0, 6]) == expectedClass(first: b, second: 0xC8), "first byte \(first)")
    }
}

@Test func rangeBoundaries() {
    #expect(classify([0]) == .stun)
    #expect(classify([3]) == .stun)
    #expect(classify([4]) == .unknown)
    #expect(classify([15]) == .unknown)
    #expect(classify([16]) == .zrtp)
    #expect(classify([19]) == .zrtp)
    #expect(classify([20]) == .dtls)
    #expect(classify([22]) == .dtls)  // DTLS handshake content type
    #expect(classify([63]) == .dtls)
    #expect(classify([64]) == .turnChannel)
    #expect(classify([79]) == .turnChannel)
    #expect(classify([80]) == .unknown)
    #expect(classify([127, 0]) == .unknown)
    #expect(classify([128, 0]) == .rtp)
    #expect(classify([191, 0]) == .rtp)
    #expect(classify([192, 0]) == .unknown)
    #expect(classify([255, 0]) == .unknown)
}

@Test func rtcpPayloadTypeEdges() {
    // Second byte 191/192 and 223/224 are the edges of RFC 5761's RTCP range.
    #expect(classify([0x80, 191]) == .rtp)
    #expect(classify([0x80, 192]) == .rtcp)
    #expect(classify([0x80, 200]) == .rtcp)  // SR
    #expect(classify([0x81, 201]) == .rtcp)  // RR
    #expect(classify([0x81, 205]) == .rtcp)  // RTPFB
    #expect(classify([0x81, 206]) == .rtcp)  // PSFB
    #expect(classify([0x80, 223]) == .rtcp)
    #expect(classify([0x80, 224]) == .rtp)
    // Without the marker bit the same types are 64...95.
    #expect(classify([0x80, 63]) == .rtp)
    #expect(classify([0x80, 64]) == .rtcp)
    #expect(classify([0x80, 95]) == .rtcp)
    #expect(classify([0x80, 96]) == .rtp)
    #expect(classify([0x80, 111]) == .rtp)   // Opus with marker clear
    #expect(classify([0x80, 0xEF]) == .rtp)  // PT 111 with marker set
}

@Test func everySecondByteForVersion2() {
    for second in 0...255 {
        let s = UInt8(second)
        #expect(classify([0x80, s]) == expectedClass(first: 0x80, second: s), "second byte \(second)")
    }
}

@Test func shortDatagramsNeverTrap() {
    #expect(classify([]) == .unknown)
    #expect(classify([0x80]) == .unknown)
    #expect(classify([0x90]) == .unknown)
    #expect(classify([0x01]) == .stun)
}

@Test func realPacketPrefixes() {
    // STUN Binding Request header (RFC 5769 §2.1 sample request).
    #expect(classify([0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42]) == .stun)
    // DTLS 1.2 ClientHello record: content type 22, version {254, 253}.
    #expect(classify([0x16, 0xfe, 0xfd, 0x00, 0x00]) == .dtls)
    // TURN ChannelData for channel 0x4001.
    #expect(classify([0x40, 0x01, 0x00, 0x04, 1, 2, 3, 4]) == .turnChannel)
    // RTCP compound packet starting with a Receiver Report with one block.
    #expect(classify([0x81, 0xc9, 0x00, 0x07]) == .rtcp)
    // VP8 RTP with header extension, PT 96, marker set.
    #expect(classify([0x90, 0xe0, 0x12, 0x34]) == .rtp)
}
