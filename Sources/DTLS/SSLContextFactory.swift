internal import COpenSSL

/// Builds the `SSL_CTX` every connection derives from: DTLS 1.2 only, ECDHE with AEAD suites, our
/// certificate. Per-peer settings (role, verification, SRTP profiles, MTU, timers) live on the
/// `SSL` object instead, so one context serves both roles.
enum SSLContextFactory {
    /// Forward-secret AEAD suites; the ECDSA ones match our certificate, the RSA ones let the
    /// client side talk to servers with RSA identities.
    static let cipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    static func make(certificate: OpaquePointer, privateKey: OpaquePointer) throws(DTLSError) -> OpaquePointer {
        guard let context = SSL_CTX_new(DTLS_method()) else { throw OpenSSLErrorQueue.error("SSL_CTX_new") }
        // DTLS 1.0 is deprecated for WebRTC (RFC 8827 §6.5 requires 1.2 or later).
        guard peerlearn_ssl_ctx_set_min_proto(context, DTLS1_2_VERSION) == 1,
              peerlearn_ssl_ctx_set_max_proto(context, DTLS1_2_VERSION) == 1,
              SSL_CTX_set_cipher_list(context, cipherList) == 1,
              peerlearn_ssl_ctx_set1_groups_list(context, "X25519:P-256") == 1,
              SSL_CTX_use_certificate(context, certificate) == 1,
              SSL_CTX_use_PrivateKey(context, privateKey) == 1,
              SSL_CTX_check_private_key(context) == 1
        else {
            SSL_CTX_free(context)
            throw OpenSSLErrorQueue.error("SSL_CTX configuration")
        }
        // Sessions are never resumed (each association authenticates by a fresh certificate
        // exchange) and never renegotiated, which WebRTC does not use and which only adds attack
        // surface (RFC 8827 §6.5 relies on the initial handshake alone).
        _ = peerlearn_ssl_ctx_set_options(context, peerlearn_ssl_op_no_ticket() | peerlearn_ssl_op_no_renegotiation())
        _ = peerlearn_ssl_ctx_set_read_ahead(context, 1)
        // Memory per subscriber: an association exchanges a few records after its handshake (an alert at
        // most), so its 16-KiB read and write buffers are freed while idle; and with no resumption, the
        // server-side session cache would only keep every past peer's session and certificate.
        _ = peerlearn_ssl_ctx_release_buffers_and_cache_nothing(context)
        return context
    }
}
