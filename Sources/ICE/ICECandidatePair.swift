import STUN

/// What a lite agent knows about a pair: it has a single local candidate, so a pair is
/// identified by the remote address checks arrive from (RFC 8445 §2.5, §7.3.1.3).
public struct ICECandidatePair: Sendable, Hashable {
    public let remote: TransportAddress
    /// PRIORITY from the latest check: the peer-reflexive priority the peer would assign this
    /// address (RFC 8445 §7.1.1).
    public internal(set) var priority: UInt32
    /// Set once a check carrying USE-CANDIDATE succeeded on this pair (RFC 8445 §7.3.1.5).
    public internal(set) var isNominated: Bool
    /// When the latest authenticated check arrived; drives consent freshness (RFC 7675 §5.1).
    public internal(set) var lastValidCheck: ContinuousClock.Instant

    public init(remote: TransportAddress, priority: UInt32, isNominated: Bool, lastValidCheck: ContinuousClock.Instant) {
        self.remote = remote
        self.priority = priority
        self.isNominated = isNominated
        self.lastValidCheck = lastValidCheck
    }
}
