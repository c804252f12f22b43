#ifndef PEERLEARN_COPUS_SHIM_H
#define PEERLEARN_COPUS_SHIM_H
#include <opus/opus.h>

/* opus_encoder_ctl is variadic and does not import into Swift; typed wrappers for the requests we use. */
static inline int peerlearn_opus_set_bitrate(OpusEncoder *enc, opus_int32 bps) {
    return opus_encoder_ctl(enc, OPUS_SET_BITRATE(bps));
}
static inline int peerlearn_opus_set_complexity(OpusEncoder *enc, opus_int32 c) {
    return opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(c));
}
static inline int peerlearn_opus_set_inband_fec(OpusEncoder *enc, opus_int32 on) {
    return opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(on));
}
static inline int peerlearn_opus_set_packet_loss_perc(OpusEncoder *enc, opus_int32 pct) {
    return opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(pct));
}
static inline int peerlearn_opus_set_vbr(OpusEncoder *enc, opus_int32 on) {
    return opus_encoder_ctl(enc, OPUS_SET_VBR(on));
}
static inline int peerlearn_opus_decoder_get_last_packet_duration(OpusDecoder *dec, opus_int32 *samples) {
    return opus_decoder_ctl(dec, OPUS_GET_LAST_PACKET_DURATION(samples));
}
#endif
