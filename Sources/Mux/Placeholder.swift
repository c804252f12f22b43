// Mux: placeholder until its module lands.
enum _MuxPlaceholder {}
