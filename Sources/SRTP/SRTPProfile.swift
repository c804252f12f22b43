/// An SRTP protection profile as negotiated by DTLS-SRTP (RFC 5764 §4.1.2, RFC 7714 §14.2).
///
/// The raw value is the two-byte identifier carried in the `use_srtp` extension, which is also the
/// value OpenSSL reports for the negotiated profile, so a DTLS handshake result maps directly.
public enum SRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// AES-128 counter mode with an 80-bit HMAC-SHA1 tag (RFC 5764 §4.1.2); mandatory to implement
    /// for WebRTC (RFC 8827 §6.5).
    case aes128CmHmacSha1_80 = 0x0001
    /// AES-128-GCM AEAD with a 16-byte tag (RFC 7714 §14.2); cheaper per packet than AES-CM + HMAC.
    case aeadAes128Gcm = 0x0007

    /// Master key length in bytes.
    public var masterKeyLength: Int { 16 }

    /// Master salt length in bytes: 112 bits for AES-CM (RFC 3711 §8.2), 96 bits for GCM (RFC 7714 §12).
    public var masterSaltLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: 14
        case .aeadAes128Gcm: 12
        }
    }

    /// Bytes `protectRTP` appends: the authentication tag (RFC 3711 §3.1; RFC 7714 §7.1).
    public var rtpOverhead: Int {
        switch self {
        case .aes128CmHmacSha1_80: 10
        case .aeadAes128Gcm: 16
        }
    }

    /// Bytes `protectRTCP` appends: the 4-byte E-flag/SRTCP index plus the tag (RFC 3711 §3.4;
    /// RFC 7714 §9.1).
    public var rtcpOverhead: Int { 4 + rtpOverhead }

    public var description: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_HMAC_SHA1_80"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        }
    }
}
