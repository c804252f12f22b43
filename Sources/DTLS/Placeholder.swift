// DTLS: placeholder until its module lands.
enum _DTLSPlaceholder {}
