#ifndef PEERLEARN_CSRTP_SHIM_H
#define PEERLEARN_CSRTP_SHIM_H
#include <srtp2/srtp.h>

/* The policy setters are macros in libsrtp's header; typed wrappers make them callable from Swift. */
static inline void peerlearn_srtp_policy_aes_cm_128_hmac_sha1_80(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}
#endif
