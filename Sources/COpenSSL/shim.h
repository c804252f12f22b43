#ifndef PEERLEARN_COPENSSL_SHIM_H
#define PEERLEARN_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/rand.h>

/* OpenSSL's SSL_ctrl/BIO_ctrl convenience macros do not import into Swift; these typed wrappers do. */
static inline long peerlearn_ssl_ctx_set_min_proto(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long peerlearn_ssl_ctx_set_max_proto(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long peerlearn_dtls_set_link_mtu(SSL *ssl, long mtu) {
    return DTLS_set_link_mtu(ssl, mtu);
}
static inline long peerlearn_dtls_get_timeout(SSL *ssl, struct timeval *tv) {
    return DTLSv1_get_timeout(ssl, tv);
}
static inline long peerlearn_dtls_handle_timeout(SSL *ssl) {
    return DTLSv1_handle_timeout(ssl);
}
static inline uint64_t peerlearn_ssl_set_options(SSL *ssl, uint64_t options) {
    return SSL_set_options(ssl, options);
}
static inline uint64_t peerlearn_ssl_op_no_query_mtu(void) { return SSL_OP_NO_QUERY_MTU; }
static inline long peerlearn_ssl_ctx_set_read_ahead(SSL_CTX *ctx, long on) {
    return SSL_CTX_set_read_ahead(ctx, on);
}
#endif
