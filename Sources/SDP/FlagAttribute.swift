/// Property attributes (no value) that WebRTC negotiates.
public enum FlagAttribute: String, CaseIterable, Sendable {
    /// RTP and RTCP share one port (RFC 5761 §5.1.1).
    case rtcpMux = "rtcp-mux"
    /// Reduced-size RTCP is accepted (RFC 5506 §5).
    case rtcpReducedSize = "rtcp-rsize"
    /// The agent only answers connectivity checks, as an SFU does (RFC 8839 §5.3).
    case iceLite = "ice-lite"
    /// No more candidates will be trickled for this section (RFC 8840 §8.2).
    case endOfCandidates = "end-of-candidates"
    /// One- and two-byte header extensions may be mixed in a stream (RFC 8285 §6).
    case extmapAllowMixed = "extmap-allow-mixed"
    /// The section is only usable inside its BUNDLE group (RFC 9143 §6).
    case bundleOnly = "bundle-only"
}
