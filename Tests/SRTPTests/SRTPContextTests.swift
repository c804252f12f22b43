import Testing
@testable import SRTP

struct SRTPProfileTests {
    @Test func rawValuesAreTheRFCIdentifiers() {
        #expect(SRTPProfile(rawValue: 0x0001) == .aes128CmHmacSha1_80)
        #expect(SRTPProfile(rawValue: 0x0007) == .aeadAes128Gcm)
        #expect(SRTPProfile(rawValue: 0x0002) == nil)
    }

    @Test func lengthsAndOverheads() {
        let cm = SRTPProfile.aes128CmHmacSha1_80
        #expect((cm.masterKeyLength, cm.masterSaltLength, cm.rtpOverhead, cm.rtcpOverhead) == (16, 14, 10, 14))
        let gcm = SRTPProfile.aeadAes128Gcm
        #expect((gcm.masterKeyLength, gcm.masterSaltLength, gcm.rtpOverhead, gcm.rtcpOverhead) == (16, 12, 16, 20))
    }
}

struct SRTPContextTests {
    static func pair(
        _ profile: SRTPProfile, allowRepeat: Bool = false
    ) throws -> (sender: SRTPContext, receiver: SRTPContext) {
        let key = (0..<profile.masterKeyLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let salt = (0..<profile.masterSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        return (try SRTPContext(profile: profile, direction: .outbound, masterKey: key, masterSalt: salt,
                                allowRepeatTransmission: allowRepeat),
                try SRTPContext(profile: profile, direction: .inbound, masterKey: key, masterSalt: salt))
    }

    static func rtpPacket(sequence: UInt16, ssrc: UInt32, payloadLength: Int) -> [UInt8] {
        var packet: [UInt8] = [0x80, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x10, 0]
        packet += withUnsafeBytes(of: ssrc.bigEndian) { Array($0) }
        packet += (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &+ Int(sequence)) }
        return packet
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtpRoundTripsAcrossSSRCs(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        for sequence in UInt16(1)...40 {
            let ssrc: UInt32 = sequence % 2 == 0 ? 0x1111_2222 : 0xCAFE_BABE
            let original = Self.rtpPacket(sequence: sequence, ssrc: ssrc, payloadLength: Int(sequence) * 29)
            var packet = original
            try sender.protectRTP(&packet)
            #expect(packet.count == original.count + profile.rtpOverhead)
            #expect(packet[12...] != original[12...] + [UInt8](repeating: 0, count: profile.rtpOverhead)[...])
            try receiver.unprotectRTP(&packet)
            #expect(packet == original)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func inPlaceRejectsTooSmallBufferAndRespectsExactCapacity(profile: SRTPProfile) throws {
        let (sender, _) = try Self.pair(profile)
        let packet = Self.rtpPacket(sequence: 7, ssrc: 42, payloadLength: 100)
        var storage = packet + [UInt8](repeating: 0, count: profile.rtpOverhead - 1)
        #expect(throws: SRTPError.bufferTooSmall(required: packet.count + profile.rtpOverhead)) {
            _ = try storage.withUnsafeMutableBytes { buffer throws(SRTPError) in
                try sender.protectRTP(buffer, length: packet.count)
            }
        }

        // Exact capacity, followed by a guard byte libsrtp must not touch.
        let guardByte: UInt8 = 0x5A
        storage = packet + [UInt8](repeating: 0, count: profile.rtpOverhead) + [guardByte]
        let newLength = try storage.withUnsafeMutableBytes { buffer throws(SRTPError) in
            try sender.protectRTP(UnsafeMutableRawBufferPointer(rebasing: buffer.dropLast()), length: packet.count)
        }
        #expect(newLength == packet.count + profile.rtpOverhead)
        #expect(storage.last == guardByte)

        var rtcp: [UInt8] = [0x81, 0xC8, 0x00, 0x01, 0, 0, 0, 42]
        let rtcpLength = rtcp.count
        rtcp += [UInt8](repeating: 0, count: profile.rtcpOverhead - 1)
        #expect(throws: SRTPError.bufferTooSmall(required: rtcpLength + profile.rtcpOverhead)) {
            _ = try rtcp.withUnsafeMutableBytes { buffer throws(SRTPError) in
                try sender.protectRTCP(buffer, length: rtcpLength)
            }
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func tamperedPacketFailsAuthentication(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        var packet = Self.rtpPacket(sequence: 100, ssrc: 9, payloadLength: 50)
        try sender.protectRTP(&packet)
        for index in [20, packet.count - 1] {
            var tampered = packet
            tampered[index] ^= 0x01
            #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTP(&tampered) }
        }
        // The untouched packet still verifies: failed attempts must not poison the stream.
        try receiver.unprotectRTP(&packet)
    }

    @Test(arguments: SRTPProfile.allCases)
    func replayIsRejected(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        var rtp = Self.rtpPacket(sequence: 500, ssrc: 77, payloadLength: 20)
        try sender.protectRTP(&rtp)
        var first = rtp
        try receiver.unprotectRTP(&first)
        #expect(throws: SRTPError.replayed) { try receiver.unprotectRTP(&rtp) }

        var rtcp: [UInt8] = [0x81, 0xC9, 0x00, 0x01, 0, 0, 0, 77]
        try sender.protectRTCP(&rtcp)
        var firstRTCP = rtcp
        try receiver.unprotectRTCP(&firstRTCP)
        #expect(throws: SRTPError.replayed) { try receiver.unprotectRTCP(&rtcp) }
    }

    @Test func repeatedTransmissionNeedsOptIn() throws {
        let original = Self.rtpPacket(sequence: 3, ssrc: 5, payloadLength: 40)
        let (strict, _) = try Self.pair(.aeadAes128Gcm)
        var once = original
        try strict.protectRTP(&once)
        var again = original
        #expect(throws: SRTPError.replayed) { try strict.protectRTP(&again) }

        let (relay, receiver) = try Self.pair(.aeadAes128Gcm, allowRepeat: true)
        var first = original, retransmission = original
        try relay.protectRTP(&first)
        try relay.protectRTP(&retransmission)
        #expect(first == retransmission)
        try receiver.unprotectRTP(&first)
        #expect(first == original)
    }

    @Test(arguments: SRTPProfile.allCases)
    func malformedInputIsRejectedWithoutTrapping(profile: SRTPProfile) throws {
        let (sender, receiver) = try Self.pair(profile)
        for length in 0..<(12 + profile.rtpOverhead) {
            var short = [UInt8](repeating: 0x80, count: length)
            #expect(throws: SRTPError.malformedPacket) { try receiver.unprotectRTP(&short) }
        }
        for length in 0..<(8 + profile.rtcpOverhead) {
            var short = [UInt8](repeating: 0x80, count: length)
            #expect(throws: SRTPError.malformedPacket) { try receiver.unprotectRTCP(&short) }
        }
        var tiny: [UInt8] = [0x80, 0, 0]
        #expect(throws: SRTPError.malformedPacket) { try sender.protectRTP(&tiny) }
        #expect(tiny == [0x80, 0, 0])

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var garbage = (0..<Int.random(in: 30...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            garbage[0] = 0x80
            #expect(throws: SRTPError.self) { try receiver.unprotectRTP(&garbage) }
        }
        // A CSRC count claiming more CSRCs than the packet holds (RFC 3550 §5.1).
        var overlong = Self.rtpPacket(sequence: 1, ssrc: 1, payloadLength: 4)
        overlong[0] = 0x8F
        #expect(throws: SRTPError.malformedPacket) { try sender.protectRTP(&overlong) }

        // Length larger than the buffer is refused before libsrtp sees it.
        var small = [UInt8](repeating: 0x80, count: 40)
        #expect(throws: SRTPError.malformedPacket) {
            _ = try small.withUnsafeMutableBytes { buffer throws(SRTPError) in
                try receiver.unprotectRTP(buffer, length: 41)
            }
        }
    }

    @Test func removedStreamStartsAfresh() throws {
        let (sender, receiver) = try Self.pair(.aes128CmHmacSha1_80)
        #expect(receiver.removeStream(ssrc: 0xABCD_0001) == false)
        var packet = Self.rtpPacket(sequence: 10, ssrc: 0xABCD_0001, payloadLength: 30)
        try sender.protectRTP(&packet)
        var first = packet
        try receiver.unprotectRTP(&first)
        #expect(throws: SRTPError.replayed) { var copy = packet; try receiver.unprotectRTP(&copy) }
        #expect(receiver.removeStream(ssrc: 0xABCD_0001))
        // A fresh stream has an empty replay window, so the same index verifies again.
        var again = packet
        try receiver.unprotectRTP(&again)
        #expect(again == first)
    }

    @Test func directionIsEnforced() throws {
        let (sender, receiver) = try Self.pair(.aes128CmHmacSha1_80)
        var packet = Self.rtpPacket(sequence: 1, ssrc: 1, payloadLength: 10)
        #expect(throws: SRTPError.wrongDirection) { try receiver.protectRTP(&packet) }
        #expect(throws: SRTPError.wrongDirection) { try sender.unprotectRTP(&packet) }
        #expect(throws: SRTPError.wrongDirection) { try sender.unprotectRTCP(&packet) }
        #expect(throws: SRTPError.wrongDirection) { try receiver.protectRTCP(&packet) }
    }

    @Test func badParametersAreRejected() {
        let key = [UInt8](repeating: 1, count: 16)
        #expect(throws: SRTPError.badParameter) {
            _ = try SRTPContext(profile: .aeadAes128Gcm, direction: .inbound, masterKey: key,
                                masterSalt: [UInt8](repeating: 2, count: 14))
        }
        #expect(throws: SRTPError.badParameter) {
            _ = try SRTPContext(profile: .aes128CmHmacSha1_80, direction: .inbound, masterKey: [1, 2, 3],
                                masterSalt: [UInt8](repeating: 2, count: 14))
        }
        #expect(throws: SRTPError.badParameter) {
            _ = try SRTPContext(profile: .aes128CmHmacSha1_80, direction: .inbound, masterKey: key,
                                masterSalt: [UInt8](repeating: 2, count: 14), replayWindow: 8)
        }
    }
}
