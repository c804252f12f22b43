/// What a `DTLSConnection` reports to its owner, drained with `pollEvent()`.
public enum DTLSEvent: Sendable, Equatable {
    /// The handshake finished, the peer's certificate matched the signalled fingerprint and an SRTP
    /// profile was agreed.
    case connected(DTLSSRTPKeyingMaterial)
    /// The connection is unusable; no keys were or will be produced.
    case failed(DTLSFailure)
    /// The peer sent close_notify (RFC 5246 §7.2.1).
    case closed
}

/// Why a connection failed.
public enum DTLSFailure: Error, Sendable, Equatable {
    /// The peer's certificate does not hash to the SDP fingerprint (RFC 8122 §5; RFC 8827 §6.5).
    case fingerprintMismatch
    /// The peer did not agree to any offered SRTP profile (RFC 5764 §4.1.1).
    case noSRTPProfile
    /// The handshake did not finish within the configured time or retransmission budget.
    case timedOut
    /// OpenSSL rejected the exchange (bad message, alert from the peer, …); `reason` is its text.
    case protocolError(reason: String)
}
