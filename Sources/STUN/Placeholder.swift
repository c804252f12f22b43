// STUN: placeholder until its module lands.
enum _STUNPlaceholder {}
