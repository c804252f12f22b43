// VP8: placeholder until its module lands.
enum _VP8Placeholder {}
