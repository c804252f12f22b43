// RTP: placeholder until its module lands.
enum _RTPPlaceholder {}
