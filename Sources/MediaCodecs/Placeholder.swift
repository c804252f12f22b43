// MediaCodecs: placeholder until its module lands.
enum _MediaCodecsPlaceholder {}
