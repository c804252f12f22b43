internal import CSRTP

/// One direction of SRTP/SRTCP for one DTLS-SRTP association: over a libsrtp session, or, for
/// AEAD_AES_128_GCM, over OpenSSL's EVP (`AESGCMTransform`, the default for that profile: same bytes on
/// the wire, a fraction of the cost with Debian's NSS-based libsrtp2).
///
/// A peer's media arrives under SSRCs we learn only from packets, so the session uses libsrtp's
/// wildcard templates (`ssrc_any_inbound` / `ssrc_any_outbound`): every SSRC seen is keyed with the
/// same master key and salt, as RFC 5764 §4.2 prescribes for a DTLS-SRTP session.
///
/// The in-place calls allocate nothing per packet; libsrtp itself allocates once per new SSRC
/// when it clones the template into a stream (see `removeStream(ssrc:)`).
///
/// Thread safety: each call mutates libsrtp state (rollover counters, replay windows, per-SSRC
/// streams) without locking, so a context must be used by one thread at a time. It is therefore
/// deliberately not `Sendable`; own it inside the actor or task that handles the peer's packets and
/// transfer it with `sending` if it must move.
public final class SRTPContext {
    /// Which traffic the context handles; libsrtp refuses to use one stream for both.
    public enum Direction: Sendable, Equatable {
        /// Unprotects what the peer sends, keyed with the peer's (remote) master key and salt.
        case inbound
        /// Protects what we send, keyed with our (local) master key and salt.
        case outbound
    }

    /// The replay window libwebrtc uses; wide enough for video bursts reordered by the network.
    public static let defaultReplayWindow = 1024

    /// Which implementation does the cryptography: libsrtp (the reference, every profile) or the OpenSSL
    /// EVP one (AEAD_AES_128_GCM only), which costs no allocation per packet.
    public enum Backend: Sendable, Equatable, CustomStringConvertible {
        case libsrtp, openSSL

        /// The cheaper one that implements `profile`.
        public static func preferred(for profile: SRTPProfile) -> Backend {
            profile == .aeadAes128Gcm ? .openSSL : .libsrtp
        }

        public var description: String { self == .libsrtp ? "libsrtp" : "OpenSSL EVP" }
    }

    public let profile: SRTPProfile
    public let direction: Direction
    public let backend: Backend
    private let session: srtp_t?
    private let gcmOwner: AESGCMTransform?
    /// `gcmOwner` without reference counting: it is called for every packet, and `gcmOwner` keeps it alive
    /// as long as this context. An `unowned(unsafe)` reference still took a retain and release around each
    /// call (1.3% of a lecture's CPU); a guaranteed reference takes none.
    private let gcm: Unmanaged<AESGCMTransform>?

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - replayWindow: packets tracked by the replay check (RFC 3711 §3.3.2); libsrtp accepts
    ///     64...32767.
    ///   - allowRepeatTransmission: for outbound contexts of a relay that re-sends an identical packet
    ///     in answer to a NACK (RFC 4585 §6.2.1). Protecting the same index twice is only safe because
    ///     the payload is identical, so enable it only for such retransmissions.
    public init(
        profile: SRTPProfile,
        direction: Direction,
        masterKey: [UInt8],
        masterSalt: [UInt8],
        replayWindow: Int = SRTPContext.defaultReplayWindow,
        allowRepeatTransmission: Bool = false,
        backend: Backend? = nil
    ) throws(SRTPError) {
        let backend = backend ?? .preferred(for: profile)
        if backend == .openSSL {
            guard profile == .aeadAes128Gcm, masterKey.count == profile.masterKeyLength,
                  masterSalt.count == profile.masterSaltLength, (64...0x7FFF).contains(replayWindow)
            else { throw .badParameter }
            let transform = try AESGCMTransform(
                direction: direction, masterKey: masterKey, masterSalt: masterSalt, replayWindow: replayWindow,
                allowRepeatTransmission: allowRepeatTransmission)
            gcmOwner = transform
            gcm = Unmanaged.passUnretained(transform)
            session = nil
            self.profile = profile
            self.direction = direction
            self.backend = backend
            return
        }
        let initStatus = SRTPLibrary.ensureInitialized()
        guard initStatus == 0 else { throw .library(status: initStatus) }
        guard masterKey.count == profile.masterKeyLength,
              masterSalt.count == profile.masterSaltLength,
              (64...0x7FFF).contains(replayWindow)
        else { throw .badParameter }

        var policy = srtp_policy_t()
        let libsrtpProfile = srtp_profile_t(rawValue: numericCast(profile.rawValue))
        guard srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, libsrtpProfile) == srtp_err_status_ok,
              srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, libsrtpProfile) == srtp_err_status_ok
        else { throw .badParameter }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(replayWindow)
        policy.allow_repeat_tx = allowRepeatTransmission ? 1 : 0
        policy.next = nil

        // libsrtp reads the key as master key immediately followed by master salt and derives its
        // session keys inside srtp_create, so the buffer need only live for that call.
        var keyAndSalt = masterKey + masterSalt
        defer { for i in keyAndSalt.indices { keyAndSalt[i] = 0 } }
        var created: srtp_t?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { key in
            policy.key = key.baseAddress
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else { throw Self.error(for: status) }
        self.profile = profile
        self.direction = direction
        self.backend = backend
        self.session = created
        self.gcmOwner = nil
        self.gcm = nil
    }

    deinit {
        if let session { srtp_dealloc(session) }
    }

    // MARK: In place

    /// Encrypts and authenticates the RTP packet occupying the first `length` bytes of `buffer`,
    /// appending the tag; returns the new length. `buffer.count` must be at least
    /// `length + profile.rtpOverhead`.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard direction == .outbound else { throw .wrongDirection }
        try Self.check(buffer: buffer, length: length, minimum: Self.rtpHeaderLength)
        let gcmResult = try withGCM { transform throws(SRTPError) in try transform.protectRTP(buffer, length: length) }
        if let gcmResult { return gcmResult }
        return try transform(buffer, length: length, growth: profile.rtpOverhead, srtp_protect)
    }

    /// Verifies and decrypts the SRTP packet occupying the first `length` bytes of `buffer`;
    /// returns the plaintext length. The bytes past it are left unspecified.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard direction == .inbound else { throw .wrongDirection }
        try Self.check(buffer: buffer, length: length, minimum: Self.rtpHeaderLength + profile.rtpOverhead)
        let gcmResult = try withGCM { transform throws(SRTPError) in try transform.unprotectRTP(buffer, length: length) }
        if let gcmResult { return gcmResult }
        return try transform(buffer, length: length, growth: 0, srtp_unprotect)
    }

    /// Protects the (compound) RTCP packet occupying the first `length` bytes of `buffer`, appending
    /// the SRTCP index and tag; `buffer.count` must be at least `length + profile.rtcpOverhead`.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard direction == .outbound else { throw .wrongDirection }
        try Self.check(buffer: buffer, length: length, minimum: Self.rtcpHeaderLength)
        let gcmResult = try withGCM { transform throws(SRTPError) in try transform.protectRTCP(buffer, length: length) }
        if let gcmResult { return gcmResult }
        return try transform(buffer, length: length, growth: profile.rtcpOverhead, srtp_protect_rtcp)
    }

    /// Verifies and decrypts the SRTCP packet occupying the first `length` bytes of `buffer`;
    /// returns the plaintext length.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        guard direction == .inbound else { throw .wrongDirection }
        try Self.check(buffer: buffer, length: length, minimum: Self.rtcpHeaderLength + profile.rtcpOverhead)
        let gcmResult = try withGCM { transform throws(SRTPError) in try transform.unprotectRTCP(buffer, length: length) }
        if let gcmResult { return gcmResult }
        return try transform(buffer, length: length, growth: 0, srtp_unprotect_rtcp)
    }

    /// Forgets the stream state (rollover counter, replay window) libsrtp keeps for `ssrc`, which
    /// it allocates on the first packet of each SSRC. Call it once an SSRC is gone for good
    /// (RTCP BYE, timeout) so a long-lived context does not accumulate streams; a later packet with
    /// that SSRC starts afresh. Returns false if no stream existed.
    @discardableResult
    public func removeStream(ssrc: UInt32) -> Bool {
        if let gcmOwner { return gcmOwner.removeStream(ssrc: ssrc) }
        // libsrtp keys streams by the SSRC as it appears in the packet, i.e. network byte order.
        return srtp_remove_stream(session, ssrc.bigEndian) == srtp_err_status_ok
    }

    /// `body` on the GCM transform, nil without one. The transform is borrowed without a retain:
    /// `gcmOwner` keeps it alive, and `body` cannot release this context.
    @inline(__always)
    private func withGCM(_ body: (AESGCMTransform) throws(SRTPError) -> Int) throws(SRTPError) -> Int? {
        guard let gcm else { return nil }
        return try gcm._withUnsafeGuaranteedRef { transform in Result { () throws(SRTPError) in try body(transform) } }.get()
    }

    // MARK: Array conveniences

    /// Protects `packet` in place, growing it by `profile.rtpOverhead`. Reserve that capacity up
    /// front to avoid a reallocation.
    public func protectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        try resizeAround(&packet, growth: profile.rtpOverhead) { buffer, length throws(SRTPError) in
            try self.protectRTP(buffer, length: length)
        }
    }

    /// Unprotects `packet` in place, shrinking it to the plaintext.
    public func unprotectRTP(_ packet: inout [UInt8]) throws(SRTPError) {
        try resizeAround(&packet, growth: 0) { buffer, length throws(SRTPError) in
            try self.unprotectRTP(buffer, length: length)
        }
    }

    /// Protects `packet` in place, growing it by `profile.rtcpOverhead`.
    public func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try resizeAround(&packet, growth: profile.rtcpOverhead) { buffer, length throws(SRTPError) in
            try self.protectRTCP(buffer, length: length)
        }
    }

    /// Unprotects `packet` in place, shrinking it to the plaintext.
    public func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) {
        try resizeAround(&packet, growth: 0) { buffer, length throws(SRTPError) in
            try self.unprotectRTCP(buffer, length: length)
        }
    }

    // MARK: Internals

    /// Fixed RTP header (RFC 3550 §5.1); libsrtp validates CSRCs and extensions itself.
    private static let rtpHeaderLength = 12
    /// RTCP common header plus sender SSRC (RFC 3550 §6.4.1), the part SRTCP leaves in the clear.
    private static let rtcpHeaderLength = 8

    private static func check(
        buffer: UnsafeMutableRawBufferPointer, length: Int, minimum: Int
    ) throws(SRTPError) {
        guard buffer.baseAddress != nil, length >= minimum, length <= buffer.count,
              length <= Int(Int32.max) - 64
        else { throw .malformedPacket }
    }

    private typealias Transform = (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t

    private func transform(
        _ buffer: UnsafeMutableRawBufferPointer, length: Int, growth: Int, _ operation: Transform
    ) throws(SRTPError) -> Int {
        let required = length + growth
        guard buffer.count >= required else { throw .bufferTooSmall(required: required) }
        var newLength = Int32(length)
        let status = operation(session, buffer.baseAddress, &newLength)
        guard status == srtp_err_status_ok else {
            // On a packet, libsrtp's "bad parameter" means a header it could not parse (e.g. CSRCs
            // or an extension running past the end), not a configuration mistake.
            throw status == srtp_err_status_bad_param || status == srtp_err_status_parse_err
                ? .malformedPacket : Self.error(for: status)
        }
        let result = Int(newLength)
        // libsrtp trusts the caller for room; a result outside the checked capacity would be a bug.
        precondition(result >= 0 && result <= buffer.count, "libsrtp wrote past the checked capacity")
        return result
    }

    private func resizeAround(
        _ packet: inout [UInt8], growth: Int,
        _ body: (UnsafeMutableRawBufferPointer, Int) throws(SRTPError) -> Int
    ) throws(SRTPError) {
        let length = packet.count
        if growth > 0 { packet.append(contentsOf: repeatElement(0, count: growth)) }
        let result: Result<Int, SRTPError> = packet.withUnsafeMutableBytes { buffer in
            do throws(SRTPError) { return .success(try body(buffer, length)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let newLength):
            packet.removeLast(packet.count - newLength)
        case .failure(let error):
            if growth > 0 { packet.removeLast(growth) }
            throw error
        }
    }

    static func error(for status: srtp_err_status_t) -> SRTPError {
        switch status {
        case srtp_err_status_auth_fail: .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: .replayed
        case srtp_err_status_bad_param: .badParameter
        default: .library(status: Int32(bitPattern: UInt32(status.rawValue)))
        }
    }
}

@available(*, unavailable, message: "SRTPContext mutates libsrtp state unlocked; use it from one thread at a time")
extension SRTPContext: Sendable {}
