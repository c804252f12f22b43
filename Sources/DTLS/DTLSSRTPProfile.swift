/// SRTP protection profiles offered in the DTLS `use_srtp` extension (RFC 5764 §4.1.2,
/// RFC 7714 §14.2). Raw values are the wire identifiers, which the SRTP module maps back, so DTLS
/// need not depend on it.
public enum DTLSSRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case aes128CmHmacSha1_80 = 0x0001
    case aeadAes128Gcm = 0x0007

    /// The name OpenSSL's `SSL_set_tlsext_use_srtp` expects.
    var openSSLName: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        }
    }

    var masterKeyLength: Int { 16 }

    var masterSaltLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: 14
        case .aeadAes128Gcm: 12
        }
    }

    public var description: String { openSSLName }
}
