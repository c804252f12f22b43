// RTCP: placeholder until its module lands.
enum _RTCPPlaceholder {}
