internal import COpenSSL

/// AEAD_AES_128_GCM SRTP and SRTCP (RFC 7714) on OpenSSL's EVP: one cipher context per session key, keyed
/// once and reused with a new IV per packet, so a packet costs no allocation and no key schedule (Debian's
/// libsrtp2 runs on NSS, which builds a PKCS#11 context for every packet). Byte for byte what libsrtp
/// produces, which the tests check both ways.
///
/// Streams (per SSRC: the rollover counter and replay window) are created by the first packet that
/// authenticates, at most `maximumStreams` of them, so forged packets under fresh SSRCs cost nothing kept.
final class AESGCMTransform {
    static let tagLength = 16
    /// SSRCs one context tracks; a peer has a handful (audio, video layers, their RTX).
    static let maximumStreams = 512
    /// SRTCP's replay window (libsrtp's).
    static let rtcpReplayWindow = 128

    let direction: SRTPContext.Direction
    private let rtpCipher: OpaquePointer
    private let rtcpCipher: OpaquePointer
    private let replayWindow: Int
    private let allowRepeatTransmission: Bool
    /// Not checked for exclusive access at run time (about 1% of a lecture's CPU): only this class's
    /// own methods touch the tables, and none of them reenters another.
    @exclusivity(unchecked) private var rtpStreams = StreamTable<ReplayWindow>(limit: maximumStreams)
    /// Outbound: the last SRTCP index sent per SSRC. Inbound: the replay window per SSRC.
    @exclusivity(unchecked) private var rtcpSent = StreamTable<UInt32>(limit: maximumStreams)
    @exclusivity(unchecked) private var rtcpReceived = StreamTable<ReplayWindow>(limit: maximumStreams)
    /// The salts (12 bytes each), the IV being built (12) and the SRTCP trailer (4), in one allocation: written
    /// byte by byte for every packet, without an array's bounds and uniqueness checks.
    private let scratch: UnsafeMutablePointer<UInt8>
    private var rtpSalt: UnsafeMutablePointer<UInt8> { scratch }
    private var rtcpSalt: UnsafeMutablePointer<UInt8> { scratch + 12 }
    private var iv: UnsafeMutablePointer<UInt8> { scratch + 24 }
    private var trailer: UnsafeMutablePointer<UInt8> { scratch + 36 }

    init(
        direction: SRTPContext.Direction, masterKey: [UInt8], masterSalt: [UInt8], replayWindow: Int,
        allowRepeatTransmission: Bool
    ) throws(SRTPError) {
        guard masterKey.count == 16, masterSalt.count == 12 else { throw .badParameter }
        let rtpKey = try SRTPKeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtpEncryption, length: 16)
        let rtcpKey = try SRTPKeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtcpEncryption, length: 16)
        let rtpSalt = try SRTPKeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtpSalt, length: 12)
        let rtcpSalt = try SRTPKeyDerivation.derive(masterKey: masterKey, masterSalt: masterSalt, label: .rtcpSalt, length: 12)
        guard let rtp = EVP_CIPHER_CTX_new() else { throw .library(status: -1) }
        guard let rtcp = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_CTX_free(rtp)
            throw .library(status: -1)
        }
        rtpCipher = rtp
        rtcpCipher = rtcp
        scratch = .allocate(capacity: 40)
        scratch.initialize(repeating: 0, count: 40)
        scratch.update(from: rtpSalt, count: 12)
        (scratch + 12).update(from: rtcpSalt, count: 12)
        self.direction = direction
        self.replayWindow = replayWindow
        self.allowRepeatTransmission = allowRepeatTransmission
        for (context, key) in [(rtp, rtpKey), (rtcp, rtcpKey)] {
            let ok = key.withUnsafeBufferPointer { key in
                direction == .outbound
                    ? EVP_EncryptInit_ex(context, EVP_aes_128_gcm(), nil, key.baseAddress, nil)
                    : EVP_DecryptInit_ex(context, EVP_aes_128_gcm(), nil, key.baseAddress, nil)
            }
            guard ok == 1 else {
                EVP_CIPHER_CTX_free(rtp)
                EVP_CIPHER_CTX_free(rtcp)
                scratch.deallocate()
                throw .library(status: -1)
            }
        }
    }

    deinit {
        EVP_CIPHER_CTX_free(rtpCipher)
        EVP_CIPHER_CTX_free(rtcpCipher)
        scratch.deallocate()
    }

    func removeStream(ssrc: UInt32) -> Bool {
        let rtp = rtpStreams.remove(ssrc)
        let sent = rtcpSent.remove(ssrc)
        let received = rtcpReceived.remove(ssrc)
        return rtp || sent || received
    }

    // MARK: SRTP (RFC 7714 §7, §8)

    func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let bytes = buffer.bindMemory(to: UInt8.self)
        let header = try Self.rtpHeaderLength(bytes, length: length)
        let required = length + Self.tagLength
        guard buffer.count >= required else { throw .bufferTooSmall(required: required) }
        let sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        let ssrc = Self.word(bytes, at: 8)
        let slot = rtpStreams.slot(of: ssrc)
        if slot == nil, rtpStreams.isFull { throw .badParameter }
        let index = Self.estimate(sequence, highest: slot.map { rtpStreams[$0].highest } ?? 0)
        if let slot {
            switch rtpStreams[slot].check(index) {
            case .fresh: break
            case .seen: guard allowRepeatTransmission else { throw .replayed }
            case .tooOld: throw .replayed
            }
        }
        rtpIV(ssrc: ssrc, index: index)
        guard encrypt(rtpCipher, bytes, aad: 0..<header, text: header..<length, tagAt: length) else {
            throw .library(status: -1)
        }
        let accepted = slot ?? rtpStreams.insert(ReplayWindow(size: replayWindow), for: ssrc)
        rtpStreams[accepted].accept(index)
        return required
    }

    func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let bytes = buffer.bindMemory(to: UInt8.self)
        guard length >= 12 + Self.tagLength else { throw .malformedPacket }
        let end = length - Self.tagLength
        let header = try Self.rtpHeaderLength(bytes, length: end)
        let sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        let ssrc = Self.word(bytes, at: 8)
        // No copy of the stream is kept across `accept`: a live copy would make it copy its window per packet.
        let slot = rtpStreams.slot(of: ssrc)
        if slot == nil, rtpStreams.isFull { throw .badParameter }
        let index = Self.estimate(sequence, highest: slot.map { rtpStreams[$0].highest } ?? 0)
        if let slot, rtpStreams[slot].check(index) != .fresh { throw .replayed }
        rtpIV(ssrc: ssrc, index: index)
        guard decrypt(rtpCipher, bytes, aad: 0..<header, text: header..<end, tagAt: end) else {
            throw .authenticationFailed
        }
        let accepted = slot ?? rtpStreams.insert(ReplayWindow(size: replayWindow), for: ssrc)
        rtpStreams[accepted].accept(index)
        return end
    }

    // MARK: SRTCP (RFC 7714 §9)

    func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let bytes = buffer.bindMemory(to: UInt8.self)
        guard length >= 8 else { throw .malformedPacket }
        let required = length + Self.tagLength + 4
        guard buffer.count >= required else { throw .bufferTooSmall(required: required) }
        let ssrc = Self.word(bytes, at: 4)
        let slot = rtcpSent.slot(of: ssrc)
        if slot == nil, rtcpSent.isFull { throw .badParameter }
        let index = (slot.map { rtcpSent[$0] } ?? 0) &+ 1
        guard index <= 0x7FFF_FFFF else { throw .library(status: 15) }  // libsrtp's key_expired: 2^31 packets
        rtcpIV(ssrc: ssrc, index: index)
        Self.put(0x8000_0000 | index, into: trailer)
        guard encrypt(rtcpCipher, bytes, aad: 0..<8, extraAAD: true, text: 8..<length, tagAt: length) else {
            throw .library(status: -1)
        }
        for offset in 0..<4 { bytes[length + Self.tagLength + offset] = trailer[offset] }
        if let slot { rtcpSent[slot] = index } else { _ = rtcpSent.insert(index, for: ssrc) }
        return required
    }

    func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let bytes = buffer.bindMemory(to: UInt8.self)
        guard length >= 8 + Self.tagLength + 4 else { throw .malformedPacket }
        let ssrc = Self.word(bytes, at: 4)
        let word = Self.word(bytes, at: length - 4)
        let encrypted = word & 0x8000_0000 != 0
        let index = word & 0x7FFF_FFFF
        let slot = rtcpReceived.slot(of: ssrc)
        if slot == nil, rtcpReceived.isFull { throw .badParameter }
        if let slot, rtcpReceived[slot].check(UInt64(index)) != .fresh { throw .replayed }
        for offset in 0..<4 { trailer[offset] = bytes[length - 4 + offset] }
        let tagAt = length - 4 - Self.tagLength
        rtcpIV(ssrc: ssrc, index: index)
        // E = 0: the packet travels in the clear and the whole of it is authenticated (RFC 7714 §9.3).
        let ok = encrypted
            ? decrypt(rtcpCipher, bytes, aad: 0..<8, extraAAD: true, text: 8..<tagAt, tagAt: tagAt)
            : decrypt(rtcpCipher, bytes, aad: 0..<tagAt, extraAAD: true, text: tagAt..<tagAt, tagAt: tagAt)
        guard ok else { throw .authenticationFailed }
        let accepted = slot ?? rtcpReceived.insert(ReplayWindow(size: Self.rtcpReplayWindow), for: ssrc)
        rtcpReceived[accepted].accept(UInt64(index))
        return tagAt
    }

    // MARK: Internals

    /// Bytes before the payload: fixed header, CSRCs, header extension (RFC 3550 §5.1, §5.3.1).
    private static func rtpHeaderLength(_ bytes: UnsafeMutableBufferPointer<UInt8>, length: Int) throws(SRTPError) -> Int {
        guard length >= 12, length <= bytes.count, bytes[0] >> 6 == 2 else { throw .malformedPacket }
        var header = 12 + 4 * Int(bytes[0] & 0x0F)
        if bytes[0] & 0x10 != 0 {
            guard length >= header + 4 else { throw .malformedPacket }
            header += 4 + 4 * (Int(bytes[header + 2]) << 8 | Int(bytes[header + 3]))
        }
        guard header <= length else { throw .malformedPacket }
        return header
    }

    /// The packet index from its sequence number and the highest index seen (RFC 3711 §3.3.1), as libsrtp
    /// guesses it: while the stream is young (the highest index at most 2^15) the rollover counter is 0.
    static func estimate(_ sequence: UInt16, highest: UInt64) -> UInt64 {
        guard highest > 0x8000 else { return UInt64(sequence) }
        let roc = highest >> 16
        let last = Int(highest & 0xFFFF)
        var guess = roc
        if last < 0x8000 {
            if Int(sequence) - last > 0x8000 { guess = roc - 1 }
        } else if last - 0x8000 > Int(sequence) {
            guess = roc + 1
        }
        return guess << 16 | UInt64(sequence)
    }

    /// RFC 7714 §8.1: 00 00 || SSRC || ROC || SEQ, XOR the session salt.
    private func rtpIV(ssrc: UInt32, index: UInt64) {
        let roc = UInt32(truncatingIfNeeded: index >> 16)
        let sequence = UInt16(truncatingIfNeeded: index)
        iv[0] = rtpSalt[0]
        iv[1] = rtpSalt[1]
        for offset in 0..<4 {
            iv[2 + offset] = rtpSalt[2 + offset] ^ UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * offset))
            iv[6 + offset] = rtpSalt[6 + offset] ^ UInt8(truncatingIfNeeded: roc >> (24 - 8 * offset))
        }
        iv[10] = rtpSalt[10] ^ UInt8(truncatingIfNeeded: sequence >> 8)
        iv[11] = rtpSalt[11] ^ UInt8(truncatingIfNeeded: sequence)
    }

    /// RFC 7714 §9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index, XOR the session salt.
    private func rtcpIV(ssrc: UInt32, index: UInt32) {
        for offset in 0..<12 { iv[offset] = rtcpSalt[offset] }
        for offset in 0..<4 {
            iv[2 + offset] ^= UInt8(truncatingIfNeeded: ssrc >> (24 - 8 * offset))
            iv[8 + offset] ^= UInt8(truncatingIfNeeded: index >> (24 - 8 * offset))
        }
    }

    private func encrypt(
        _ context: OpaquePointer, _ bytes: UnsafeMutableBufferPointer<UInt8>, aad: Range<Int>, extraAAD: Bool = false,
        text: Range<Int>, tagAt: Int
    ) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var written: Int32 = 0
        guard EVP_EncryptInit_ex(context, nil, nil, nil, iv) == 1,
            EVP_EncryptUpdate(context, nil, &written, base + aad.lowerBound, Int32(aad.count)) == 1
        else { return false }
        if extraAAD {
            guard EVP_EncryptUpdate(context, nil, &written, trailer, 4) == 1 else { return false }
        }
        if !text.isEmpty {
            guard EVP_EncryptUpdate(context, base + text.lowerBound, &written, base + text.lowerBound, Int32(text.count)) == 1 else {
                return false
            }
        }
        guard EVP_EncryptFinal_ex(context, base + text.upperBound, &written) == 1 else { return false }
        return EVP_CIPHER_CTX_ctrl(context, 0x10 /* EVP_CTRL_AEAD_GET_TAG */, Int32(Self.tagLength), base + tagAt) == 1
    }

    private func decrypt(
        _ context: OpaquePointer, _ bytes: UnsafeMutableBufferPointer<UInt8>, aad: Range<Int>, extraAAD: Bool = false,
        text: Range<Int>, tagAt: Int
    ) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var written: Int32 = 0
        guard EVP_DecryptInit_ex(context, nil, nil, nil, iv) == 1,
            EVP_DecryptUpdate(context, nil, &written, base + aad.lowerBound, Int32(aad.count)) == 1
        else { return false }
        if extraAAD {
            guard EVP_DecryptUpdate(context, nil, &written, trailer, 4) == 1 else { return false }
        }
        if !text.isEmpty {
            guard EVP_DecryptUpdate(context, base + text.lowerBound, &written, base + text.lowerBound, Int32(text.count)) == 1 else {
                return false
            }
        }
        guard EVP_CIPHER_CTX_ctrl(context, 0x11 /* EVP_CTRL_AEAD_SET_TAG */, Int32(Self.tagLength), base + tagAt) == 1 else {
            return false
        }
        return EVP_DecryptFinal_ex(context, base + text.upperBound, &written) == 1
    }

    private static func word(_ bytes: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    private static func put(_ value: UInt32, into bytes: UnsafeMutablePointer<UInt8>) {
        for offset in 0..<4 { bytes[offset] = UInt8(truncatingIfNeeded: value >> (24 - 8 * offset)) }
    }
}
