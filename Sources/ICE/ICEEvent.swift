import STUN

/// Changes in which remote address media should go to. The relay sends RTP/DTLS to
/// `selectedPair`'s remote address and reacts to these to re-point its send path.
public enum ICEEvent: Sendable, Hashable {
    /// The first nomination: the controlling peer chose this remote address (RFC 8445 §8.1.1).
    case pairSelected(remote: TransportAddress)
    /// The peer nominated a different pair (e.g. it changed networks); follow it.
    case selectedPairChanged(from: TransportAddress, to: TransportAddress)
    /// No valid check on the selected pair within the consent timeout (RFC 7675 §5.1): stop
    /// sending to it. A later nomination selects a pair again.
    case consentExpired(remote: TransportAddress)
}
