/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2): which MediaStream and track an m-section carries.
///
/// An SFU rewrites these when it fans a publisher's tracks out to subscribers.
public struct MediaStreamID: SDPAttributeValue, Hashable {
    public static let attributeName = "msid"

    /// `-` when the track belongs to no stream.
    public var streamID: String
    /// The "appdata" part: the track id in WebRTC.
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    public init?(attributeValue: Substring) {
        let (stream, track) = attributeValue.splitOnce(" ")
        guard !stream.isEmpty, track.map({ !$0.isEmpty && !$0.containsByte(" ") }) ?? true else { return nil }
        self.init(streamID: String(stream), trackID: track.map(String.init))
    }

    public var attributeValue: String {
        guard let trackID else { return streamID }
        return "\(streamID) \(trackID)"
    }
}
