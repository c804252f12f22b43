import STUN

/// What to do with one incoming datagram. Every response goes back to the address the
/// request came from (RFC 8489 §6.3.1: responses are sent to the request's source).
public enum ICECheckOutcome: Sendable, Equatable {
    /// A valid check: send the Binding success response; `event` is set when selection changed.
    case accepted(response: [UInt8], event: ICEEvent?)
    /// An invalid request that RFC 8489/8445 says to answer with an error response.
    case rejected(response: [UInt8], error: STUNErrorCode)
    /// Silently discarded.
    case dropped(ICEDropReason)

    /// Bytes to send back to the source, if any.
    public var response: [UInt8]? {
        switch self {
        case .accepted(let response, _), .rejected(let response, _): response
        case .dropped: nil
        }
    }
}

/// Why a datagram was discarded without an answer.
public enum ICEDropReason: Sendable, Hashable {
    /// Not a STUN message (RFC 8489 §6 header checks failed).
    case notSTUN
    /// A STUN header whose length does not match the datagram.
    case malformed
    /// A Binding indication: a keepalive (RFC 8445 §11), needing no answer.
    case indication
    /// A response: a lite agent never sends requests (RFC 8445 §2.5), so none is expected.
    case unexpectedResponse
    /// ICE requires FINGERPRINT on checks (RFC 8445 §7.2.2); without it the packet cannot be
    /// told apart from other protocols sharing the port.
    case missingFingerprint
    /// FINGERPRINT present but wrong (RFC 8489 §7.3): discard.
    case badFingerprint
}
