/// Credentials and limits for one ICE-lite session (one per peer connection / m= bundle).
public struct ICELiteConfiguration: Sendable, Equatable {
    /// Our ice-ufrag from the SDP we sent; peers put it first in USERNAME (RFC 8445 §7.2.2).
    public var localUfrag: String
    /// Our ice-pwd: the short-term key checks are authenticated with (RFC 8445 §7.2.2).
    public var localPassword: String
    /// The peer's ice-ufrag, once its SDP is known. Checks can arrive before the answer is
    /// processed (RFC 8445 §7.3), so until then only the local half of USERNAME is checked.
    public var remoteUfrag: String?
    /// How long the selected pair may go without a valid check; RFC 7675 §5.1 uses 30 s.
    public var consentTimeout: Duration
    /// Optional SOFTWARE attribute for responses (RFC 8489 §14.14).
    public var software: String?
    /// Upper bound on tracked pairs so a peer cannot grow state without limit.
    public var maximumPairs: Int

    public init(localUfrag: String, localPassword: String, remoteUfrag: String? = nil,
                consentTimeout: Duration = .seconds(30), software: String? = nil, maximumPairs: Int = 16) {
        self.localUfrag = localUfrag
        self.localPassword = localPassword
        self.remoteUfrag = remoteUfrag
        self.consentTimeout = consentTimeout
        self.software = software
        self.maximumPairs = max(1, maximumPairs)
    }
}
