import Testing
import RTP

@Test func readsAudioLevelFromAPacket() throws {
    // ID 1 audio level 0x85 (RFC 6464 §3: V=1, 5 → -5 dBov); ID 2 a 2-byte element.
    let bytes: [UInt8] = [0x90, 0x6F, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x02, 0x10, 0x85, 0x21, 0x7F, 0x7F, 0, 0, 0, 0xEE]
    let header = try parse(bytes).get()
    let level = bytes.withUnsafeBytes { AudioLevel(id: 1, header: header, packet: $0) }
    #expect(level == AudioLevel(voiceActivity: true, level: 5))
    #expect(level?.dBov == -5)
    #expect(level?.byte == 0x85)
    // Two bytes is not an audio level; a missing ID is nil.
    #expect(bytes.withUnsafeBytes { AudioLevel(id: 2, header: header, packet: $0) } == nil)
    #expect(bytes.withUnsafeBytes { AudioLevel(id: 3, header: header, packet: $0) } == nil)
}

@Test func audioLevelByteRoundTripsAndClamps() {
    for byte in UInt8(0)...255 {
        let level = AudioLevel(byte: byte)
        #expect(level.byte == byte)
        #expect(level.voiceActivity == (byte >= 0x80))
        #expect(level.level == byte & 0x7F)
    }
    #expect(AudioLevel(voiceActivity: false, level: 200) == AudioLevel(byte: 127))
    #expect(AudioLevel(voiceActivity: false, level: 127).dBov == -127)
}

@Test func absoluteSendTimeIsSixPointEighteenSeconds() {
    #expect(AbsoluteSendTime.value(nanoseconds: 0) == 0)
    #expect(AbsoluteSendTime.value(nanoseconds: 1_000_000_000) == 0x04_0000)
    #expect(AbsoluteSendTime.value(nanoseconds: 500_000_000) == 0x02_0000)
    #expect(AbsoluteSendTime.value(nanoseconds: 3_815) == 1)  // 1/262144 s is 3814.7 ns
    #expect(AbsoluteSendTime.value(nanoseconds: 1_907) == 0)
    #expect(AbsoluteSendTime.value(nanoseconds: 63_000_000_000) == 63 << 18)
    // Wraps every 64 s, including when rounding carries into the seconds.
    #expect(AbsoluteSendTime.value(nanoseconds: 64_000_000_000) == 0)
    #expect(AbsoluteSendTime.value(nanoseconds: 63_999_999_999) == 0)
    #expect(AbsoluteSendTime.value(nanoseconds: 65_000_000_000) == 0x04_0000)
    #expect(AbsoluteSendTime.value(nanoseconds: UInt64.max) <= 0xFF_FFFF)
    #expect(AbsoluteSendTime.nanoseconds(0x04_0000) == 1_000_000_000)
    #expect(AbsoluteSendTime.nanoseconds(0xFF04_0000) == 1_000_000_000)
    var rng = SplitMix64(state: 18)
    for _ in 0..<1_000 {
        let ns = UInt64.random(in: 0..<63_000_000_000, using: &rng)
        let back = AbsoluteSendTime.nanoseconds(AbsoluteSendTime.value(nanoseconds: ns))
        #expect(back.distance(to: ns).magnitude <= 1_908)  // half a step
    }
}
