/// What the relay has told one peer in SDP, kept so a later offer or answer continues the same
/// session: the same ICE credentials, fingerprint and origin, a higher version.
struct NegotiationState: Sendable {
    /// The relay's side; its ICE credentials change on an ICE restart.
    var local: LocalTransportDescription
    /// CNAME and stream id the relay uses for what it sends (RFC 7022: random per connection).
    let cname: String
    let sessionID: UInt64
    private(set) var version: UInt64 = 1
    /// The peer's ICE ufrag and DTLS fingerprint once known; they may not change within the session.
    var remoteUfrag: String?
    var remoteFingerprint: String?

    init(local: LocalTransportDescription, cname: String, sessionID: UInt64) {
        self.local = local
        self.cname = cname
        self.sessionID = sessionID
    }

    mutating func nextVersion() -> UInt64 {
        version += 1
        return version
    }
}
