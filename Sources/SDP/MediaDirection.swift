/// Whether a section sends, receives, both or neither (RFC 8866 §6.7; RFC 3264 §6.1 for answers).
public enum MediaDirection: String, CaseIterable, Sendable {
    case sendrecv
    case sendonly
    case recvonly
    case inactive

    /// The direction an answerer mirrors back: an offered `sendonly` is answered `recvonly` (RFC 3264 §6.1).
    public var reversed: MediaDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .sendrecv, .inactive: self
        }
    }
}
