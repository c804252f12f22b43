#ifndef PEERLEARN_COPENSSL_SHIM_H
#define PEERLEARN_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>

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
/* The TLS 1.2 PRF (RFC 5246 §5) through OpenSSL's own KDF: `seed` is the label followed by its seeds. */
static inline int peerlearn_tls12_prf(const char *digest, const unsigned char *secret, size_t secret_length,
                                      const unsigned char *seed, size_t seed_length,
                                      unsigned char *out, size_t out_length) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
    if (kdf == NULL) return 0;
    EVP_KDF_CTX *context = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (context == NULL) return 0;
    OSSL_PARAM params[4];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_length);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_length);
    params[3] = OSSL_PARAM_construct_end();
    int status = EVP_KDF_derive(context, out, out_length, params);
    EVP_KDF_CTX_free(context);
    return status;
}
#endif
