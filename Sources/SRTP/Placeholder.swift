// SRTP: placeholder until its module lands.
enum _SRTPPlaceholder {}
