/// The `<media>` token of an `m=` line (RFC 8866 §5.14).
public enum MediaType: Equatable, Hashable, Sendable {
    case audio
    case video
    /// Data channels (`m=application ... UDP/DTLS/SCTP webrtc-datachannel`, RFC 8841).
    case application
    case text
    case message
    /// Any other token, kept so the line round-trips.
    case other(String)

    public init(_ token: some StringProtocol) {
        switch token {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        case "text": self = .text
        case "message": self = .message
        default: self = .other(String(token))
        }
    }

    public var token: String {
        switch self {
        case .audio: "audio"
        case .video: "video"
        case .application: "application"
        case .text: "text"
        case .message: "message"
        case .other(let token): token
        }
    }
}
