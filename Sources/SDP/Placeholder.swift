// SDP: placeholder until its module lands.
enum _SDPPlaceholder {}
