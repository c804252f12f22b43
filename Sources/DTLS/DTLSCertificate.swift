internal import COpenSSL

/// The endpoint's DTLS identity: a fresh self-signed ECDSA P-256 certificate whose SHA-256
/// fingerprint is advertised in SDP. WebRTC authenticates by that fingerprint, not by a CA chain
/// (RFC 8827 §6.5), so a short-lived certificate generated at start-up suffices.
///
/// It also owns the OpenSSL context configured with it, shared by every `DTLSConnection`:
/// building an `SSL_CTX` is costly in OpenSSL 3, and the context holds only immutable settings.
///
/// `@unchecked Sendable`: every stored property is immutable after `init`, and OpenSSL documents
/// `X509`, `EVP_PKEY` and a configured `SSL_CTX` as safe to share between threads for reading and
/// for creating `SSL` objects (their reference counts are atomic).
public final class DTLSCertificate: @unchecked Sendable {
    /// SHA-256 fingerprint in the form used by `a=fingerprint` (RFC 8122 §5).
    public let fingerprint: DTLSFingerprint
    public let commonName: String

    let x509: OpaquePointer
    let privateKey: OpaquePointer
    let sslContext: OpaquePointer

    /// Generates a key pair and certificate.
    ///
    /// - Parameter validity: lifetime from now; backdated by a day so peers with a slow clock do
    ///   not see a certificate from the future.
    public init(commonName: String = "PeerLearn", validity: Duration = .seconds(30 * 86_400)) throws(DTLSError) {
        let seconds = validity.components.seconds
        guard seconds > 0, seconds <= Int64(Int32.max) else {
            throw .invalidConfiguration("validity must be positive and below 68 years")
        }
        OpenSSLErrorQueue.clear()
        let key = try Self.generateKey()
        let certificate: OpaquePointer
        do {
            certificate = try Self.makeCertificate(key: key, commonName: commonName, validitySeconds: Int(seconds))
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        guard let digest = Self.digest(of: certificate, algorithm: .sha256),
              let fingerprint = DTLSFingerprint(algorithm: .sha256, digest: digest)
        else {
            X509_free(certificate); EVP_PKEY_free(key)
            throw OpenSSLErrorQueue.error("X509_digest")
        }
        let context: OpaquePointer
        do {
            context = try SSLContextFactory.make(certificate: certificate, privateKey: key)
        } catch {
            X509_free(certificate); EVP_PKEY_free(key)
            throw error
        }
        self.x509 = certificate
        self.privateKey = key
        self.sslContext = context
        self.fingerprint = fingerprint
        self.commonName = commonName
    }

    deinit {
        SSL_CTX_free(sslContext)
        X509_free(x509)
        EVP_PKEY_free(privateKey)
    }

    /// The certificate in DER, e.g. to compute a fingerprint with another hash.
    public var derEncoded: [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(x509, &cursor)
        }
        return bytes
    }

    /// Hash of the DER certificate, as RFC 8122 §5 defines the fingerprint.
    static func digest(of certificate: OpaquePointer, algorithm: DTLSFingerprint.Algorithm) -> [UInt8]? {
        let md: OpaquePointer? = switch algorithm {
        case .sha1: EVP_sha1()
        case .sha224: EVP_sha224()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, md, &digest, &length) == 1,
              Int(length) == algorithm.digestLength
        else { return nil }
        return Array(digest.prefix(Int(length)))
    }

    private static func generateKey() throws(DTLSError) -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw OpenSSLErrorQueue.error("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
              EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_keygen(context, &key) == 1, let key
        else { throw OpenSSLErrorQueue.error("EVP_PKEY_keygen") }
        return key
    }

    private static func makeCertificate(
        key: OpaquePointer, commonName: String, validitySeconds: Int
    ) throws(DTLSError) -> OpaquePointer {
        guard let certificate = X509_new() else { throw OpenSSLErrorQueue.error("X509_new") }
        // A random positive serial keeps certificates from successive runs distinct (RFC 5280 §4.1.2.2).
        var serial: UInt64 = 0
        let serialOK = withUnsafeMutableBytes(of: &serial) { RAND_bytes($0.baseAddress, Int32($0.count)) } == 1
        serial = (serial & 0x7FFF_FFFF_FFFF_FFFF) | 1
        let name = X509_get_subject_name(certificate)
        guard serialOK,
              X509_set_version(certificate, 2) == 1, // X.509 v3
              ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial) == 1,
              X509_gmtime_adj(X509_getm_notBefore(certificate), -86_400) != nil,
              X509_gmtime_adj(X509_getm_notAfter(certificate), validitySeconds) != nil,
              X509_NAME_add_entry_by_txt(name, "CN", peerlearn_mbstring_asc(), commonName, -1, -1, 0) == 1,
              X509_set_issuer_name(certificate, name) == 1,
              X509_set_pubkey(certificate, key) == 1,
              X509_sign(certificate, key, EVP_sha256()) > 0
        else {
            X509_free(certificate)
            throw OpenSSLErrorQueue.error("X509 build")
        }
        return certificate
    }
}
