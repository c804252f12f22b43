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
static inline uint64_t peerlearn_ssl_ctx_set_options(SSL_CTX *ctx, uint64_t options) {
    return SSL_CTX_set_options(ctx, options);
}
static inline void peerlearn_bio_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
static inline void peerlearn_bio_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }
static inline int peerlearn_mbstring_asc(void) { return MBSTRING_ASC; }
static inline int peerlearn_ssl_set_app_data(SSL *ssl, void *data) { return SSL_set_app_data(ssl, data); }
static inline void *peerlearn_ssl_get_app_data(const SSL *ssl) { return SSL_get_app_data(ssl); }
static inline int peerlearn_ssl_ctx_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline long peerlearn_ssl_ctx_release_buffers_and_cache_nothing(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}
static inline uint64_t peerlearn_ssl_op_no_ticket(void) { return SSL_OP_NO_TICKET; }
static inline uint64_t peerlearn_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
#endif
