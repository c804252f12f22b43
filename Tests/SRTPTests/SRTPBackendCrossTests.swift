import Testing
@testable import SRTP

/// The OpenSSL EVP implementation of AEAD_AES_128_GCM against libsrtp, the reference: the same bytes from
/// both for every packet, each one's output accepted by the other, the same refusals.
struct SRTPBackendCrossTests {
    static let key: [UInt8] = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 5) }
    static let salt: [UInt8] = (0..<12).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 11) }

    static func context(_ backend: SRTPContext.Backend, _ direction: SRTPContext.Direction, repeatable: Bool = false) throws -> SRTPContext {
        try SRTPContext(
            profile: .aeadAes128Gcm, direction: direction, masterKey: key, masterSalt: salt,
            allowRepeatTransmission: repeatable, backend: backend)
    }

    /// RTP packets of every header shape: CSRCs, a one-byte-header extension block, empty and full payloads,
    /// sequence numbers across a wrap (the rollover counter moves), two SSRCs interleaved.
    static func packets() -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var state: UInt32 = 0x1234_5678
        func random() -> UInt8 {
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        for step in 0..<400 {
            let sequence = UInt16(truncatingIfNeeded: 65_300 + step)
            let ssrc: UInt32 = step % 3 == 0 ? 0xDEAD_BEEF : 0x0102_0304
            let csrcs = step % 7 == 0 ? 2 : 0
            let extended = step % 2 == 0
            var packet: [UInt8] = [0x80 | (extended ? 0x10 : 0) | UInt8(csrcs), 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
            packet += [0, 0, UInt8(step >> 8), UInt8(step & 0xFF)]
            packet += withUnsafeBytes(of: ssrc.bigEndian) { Array($0) }
            for _ in 0..<(4 * csrcs) { packet.append(random()) }
            if extended { packet += [0xBE, 0xDE, 0, 2, 0x10, random(), 0x22, random(), random(), random(), 0, 0] }
            let payload = [0, 1, 17, 160, 1_100, 1_188][step % 6]
            for _ in 0..<payload { packet.append(random()) }
            packets.append(packet)
        }
        return packets
    }

    /// Protects `plain` on both backends (equal bytes), and unprotects each one's output with the other.
    static func checkBothWays(_ plain: [UInt8], rtcp: Bool, _ c: (ours: SRTPContext, reference: SRTPContext, oursIn: SRTPContext, referenceIn: SRTPContext)) throws {
        func protect(_ context: SRTPContext, _ packet: inout [UInt8]) throws {
            if rtcp { try context.protectRTCP(&packet) } else { try context.protectRTP(&packet) }
        }
        func unprotect(_ context: SRTPContext, _ packet: inout [UInt8]) throws {
            if rtcp { try context.unprotectRTCP(&packet) } else { try context.unprotectRTP(&packet) }
        }
        var a = plain
        var b = plain
        try protect(c.ours, &a)
        try protect(c.reference, &b)
        #expect(a == b, "\(plain.prefix(12))")
        try unprotect(c.oursIn, &b)
        #expect(b == plain)
        try unprotect(c.referenceIn, &a)
        #expect(a == plain)
    }

    static func allFour() throws -> (ours: SRTPContext, reference: SRTPContext, oursIn: SRTPContext, referenceIn: SRTPContext) {
        (try context(.openSSL, .outbound), try context(.libsrtp, .outbound), try context(.openSSL, .inbound),
         try context(.libsrtp, .inbound))
    }

    @Test func rtpIsByteForByteLibsrtpsBothWays() throws {
        let contexts = try Self.allFour()
        #expect(contexts.ours.backend == .openSSL && contexts.reference.backend == .libsrtp)
        for plain in Self.packets() { try Self.checkBothWays(plain, rtcp: false, contexts) }
    }

    @Test func rtcpIsByteForByteLibsrtpsBothWays() throws {
        let contexts = try Self.allFour()
        for step in 0..<50 {
            // A receiver report, a PLI and a compound of both, from two senders.
            let sender: [UInt8] = step % 2 == 0 ? [0xCA, 0xFE, 0xBA, 0xBE] : [0x11, 0x22, 0x33, 0x44]
            var plain: [UInt8] = [0x81, 201, 0, 7] + sender + [UInt8](repeating: UInt8(step), count: 24)
            if step % 3 == 0 { plain += [0x81, 206, 0, 2] + sender + [0xDE, 0xAD, 0xBE, 0xEF] }
            try Self.checkBothWays(plain, rtcp: true, contexts)
        }
    }

    @Test func refusalsMatchLibsrtps() throws {
        let sender = try Self.context(.openSSL, .outbound)
        let receiver = try Self.context(.openSSL, .inbound)
        let plain = SRTPContextTests.rtpPacket(sequence: 100, ssrc: 7, payloadLength: 50)
        var packet = plain
        try sender.protectRTP(&packet)
        var tampered = packet
        tampered[20] ^= 1
        #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTP(&tampered) }
        // A forgery moves nothing: the genuine packet still decrypts, once.
        var genuine = packet
        try receiver.unprotectRTP(&genuine)
        #expect(genuine == plain)
        var again = packet
        #expect(throws: SRTPError.replayed) { try receiver.unprotectRTP(&again) }
        // Protecting the same index twice needs the relay's opt-in for retransmissions.
        var twice = plain
        #expect(throws: SRTPError.replayed) { try sender.protectRTP(&twice) }
        let repeating = try Self.context(.openSSL, .outbound, repeatable: true)
        var first = plain
        var second = plain
        try repeating.protectRTP(&first)
        try repeating.protectRTP(&second)
        #expect(first == second)
        // Behind the 1024-packet window: refused, as libsrtp refuses it.
        let reference = try Self.context(.libsrtp, .inbound)
        let ours = try Self.context(.openSSL, .inbound)
        let windowSender = try Self.context(.openSSL, .outbound)
        var old = SRTPContextTests.rtpPacket(sequence: 1_000, ssrc: 9, payloadLength: 10)
        try windowSender.protectRTP(&old)
        var new = SRTPContextTests.rtpPacket(sequence: 3_000, ssrc: 9, payloadLength: 10)
        try windowSender.protectRTP(&new)
        for receiver in [reference, ours] {
            var newer = new
            try receiver.unprotectRTP(&newer)
            var older = old
            #expect(throws: SRTPError.replayed) { try receiver.unprotectRTP(&older) }
        }
        // The E bit clear: an SRTCP packet sent in the clear still authenticates (RFC 7714 §9.3).
        var rtcp: [UInt8] = [0x81, 201, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE]
        try sender.protectRTCP(&rtcp)
        var clear = rtcp
        clear[clear.count - 4] &= 0x7F
        #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTCP(&clear) }
    }

    /// Only packets that authenticate create a stream, and a context keeps at most `maximumStreams`.
    @Test func forgedSSRCsCreateNothingAndStreamsAreBounded() throws {
        let sender = try Self.context(.openSSL, .outbound)
        let receiver = try Self.context(.openSSL, .inbound)
        for ssrc in UInt32(1)...2_000 {
            var forged = SRTPContextTests.rtpPacket(sequence: 1, ssrc: ssrc, payloadLength: 20) + [UInt8](repeating: 0, count: 16)
            #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotectRTP(&forged) }
        }
        for ssrc in UInt32(1)...UInt32(AESGCMTransform.maximumStreams) {
            var packet = SRTPContextTests.rtpPacket(sequence: 1, ssrc: ssrc, payloadLength: 20)
            try sender.protectRTP(&packet)
            try receiver.unprotectRTP(&packet)
        }
        var beyond = SRTPContextTests.rtpPacket(sequence: 1, ssrc: 99_999, payloadLength: 20)
        #expect(throws: SRTPError.badParameter) { try sender.protectRTP(&beyond) }
        #expect(sender.removeStream(ssrc: 1))
        try sender.protectRTP(&beyond)
    }

    /// The SRTP key derivation against NIST's validation vectors (CAVS 12.0, AES-128, kdr 0).
    @Test func keyDerivationMatchesNIST() throws {
        let master = hex("c4809f6d369888728e26adb532129890")
        let salt = hex("0e23006c6c044f5662400e9d1bd6")
        #expect(try SRTPKeyDerivation.derive(masterKey: master, masterSalt: salt, label: .rtpEncryption, length: 16)
            == hex("dc382192ab65108a86b259b61b3af46f"))
        #expect(try SRTPKeyDerivation.derive(masterKey: master, masterSalt: salt, label: .rtpSalt, length: 14)
            == hex("f1c035c00b5a54a61692c016276c"))
        // NIST's SRTCP keys put the label before a 32-bit index; libsrtp, and with it every WebRTC stack, keeps
        // SRTP's 48-bit layout for SRTCP too. Those keys are checked against libsrtp's packets instead
        // (`rtcpIsByteForByteLibsrtpsBothWays`, and libsrtp's published SRTCP vector in the known-answer tests).
    }

    @Test func theReplayWindowSlidesAcrossWords() {
        var window = ReplayWindow(size: 1_024)
        #expect(window.check(0) == .fresh)
        window.accept(5)
        window.accept(3)
        #expect(window.check(3) == .seen && window.check(4) == .fresh && window.check(5) == .seen)
        window.accept(5 + 70)  // one word and a bit
        #expect(window.check(3) == .seen && window.check(5) == .seen && window.check(4) == .fresh)
        window.accept(75 + 1_023)
        #expect(window.check(75) == .seen, "1023 behind: still inside")
        #expect(window.check(5) == .tooOld)
        window.accept(100_000)
        #expect(window.check(75 + 1_023) == .tooOld && window.check(100_000) == .seen && window.check(99_999) == .fresh)
    }
}
