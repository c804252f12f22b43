import Foundation

/// A message a member sends on the room WebSocket (protocol v2, `Sources/Signaling/README.md`), decoded
/// and checked before anything acts on it.
///
/// Separate from Signaling (and Hummingbird) so the decoding every stranger's text frame goes
/// through can be fuzzed on its own with sanitizers (`Fuzz/Sources/FuzzRoomMessages`); the
/// connection only switches on the result.
public enum RoomClientMessage: Sendable, Equatable {
    /// An offer for the member's one publish connection: the first joins, later ones renegotiate it.
    /// `sources` says what each sending m-section shows, by mid.
    case publish(sdp: String, sources: [String: Source])
    case unpublish
    /// Opt in to the subscribe connection, which the server offers.
    case subscribe
    /// The answer to the server's latest offer on the subscribe connection.
    case answer(sdp: String)
    case mute(kind: MediaKind, muted: Bool)
    /// Restart ICE on the subscribe connection (the client changed networks): the relay re-offers it with
    /// new credentials. The publish connection restarts by a `publish` offer made with `iceRestart`.
    case restartICE
    /// How large the member shows each video of the subscribe connection, by mid (0×0: not shown), so
    /// the relay sends the simulcast layer that fits, or nothing.
    case videoSizes([String: VideoSize])
    case leave

    public struct VideoSize: Sendable, Equatable {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
    }

    /// Larger than any screen: a size over it is refused, so nothing downstream multiplies a huge one.
    public static let maximumVideoDimension = 16_384
    /// The subscribe connection has at most 64 slots; a few more mids are tolerated, not thousands.
    public static let maximumVideoSizes = 64

    public enum MediaKind: String, Sendable, Equatable {
        case audio, video
    }

    /// What a published track shows (the relay's `TrackSource`, spelled out here so this module stays
    /// free of the relay).
    public enum Source: String, Sendable, Equatable, CaseIterable {
        case microphone, camera, screen
    }

    /// Offers and answers over this are refused, as WHIP/WHEP refuse them (413 there).
    public static let maximumSDPBytes = 64 * 1024
    /// A publish connection has three sendable m-sections at most (microphone, camera, screen); a few
    /// more entries are tolerated, not thousands.
    public static let maximumSources = 16
    /// RFC 8843 mids are short tokens; browsers number them.
    public static let maximumMidLength = 32

    /// Why a text frame was refused; `reason` is what the `error` message tells the member.
    public struct Refusal: Error, Sendable, Equatable {
        public let reason: String

        public init(reason: String) { self.reason = reason }
    }

    /// The wire shape: one object with a `type` and the fields that type needs.
    private struct Wire: Decodable {
        var type: String
        var sdp: String?
        var participant: String?
        var sources: [String: String]?
        var kind: String?
        var muted: Bool?
        var sizes: [String: WireSize]?
    }

    private struct WireSize: Decodable {
        var width: Double
        var height: Double
    }

    /// The message type a refusal is about, when the frame got that far (for the `error`'s `for`).
    public static func type(of text: String) -> String? {
        struct Typed: Decodable { var type: String }
        return try? JSONDecoder().decode(Typed.self, from: Data(text.utf8)).type
    }

    /// Decodes one text frame; anything that is not a complete, known message is a refusal.
    public static func decode(_ text: String) -> Result<RoomClientMessage, Refusal> {
        guard let message = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)) else {
            return .failure(Refusal(reason: "messages are JSON objects with a `type`"))
        }
        switch message.type {
        case "publish":
            guard let sdp = message.sdp else { return .failure(Refusal(reason: "publish needs `sdp` (an offer)")) }
            if let refusal = checkSize(sdp) { return .failure(refusal) }
            return sources(message.sources ?? [:]).map { .publish(sdp: sdp, sources: $0) }
        case "subscribe":
            guard message.sdp == nil, message.participant == nil else {
                return .failure(Refusal(reason: "subscribe takes no `participant` or `sdp`: the server offers every track"))
            }
            return .success(.subscribe)
        case "answer":
            guard let sdp = message.sdp else { return .failure(Refusal(reason: "answer needs `sdp` (an answer)")) }
            if let refusal = checkSize(sdp) { return .failure(refusal) }
            return .success(.answer(sdp: sdp))
        case "unsubscribe":
            return .failure(Refusal(reason: "unsubscribe is gone: the one subscribe connection carries every track"))
        case "unpublish":
            return .success(.unpublish)
        case "mute":
            guard let kind = message.kind.flatMap(MediaKind.init(rawValue:)), let muted = message.muted else {
                return .failure(Refusal(reason: "mute needs `kind` (audio|video) and `muted` (true|false)"))
            }
            return .success(.mute(kind: kind, muted: muted))
        case "restart-ice":
            return .success(.restartICE)
        case "video-sizes":
            return videoSizes(message.sizes)
        case "leave":
            return .success(.leave)
        default:
            return .failure(Refusal(reason: "unknown message type `\(message.type)`"))
        }
    }

    private static func videoSizes(_ wire: [String: WireSize]?) -> Result<RoomClientMessage, Refusal> {
        guard let wire else { return .failure(Refusal(reason: "video-sizes needs `sizes`: {mid: {width, height}}")) }
        guard wire.count <= maximumVideoSizes else {
            return .failure(Refusal(reason: "`sizes` names at most \(maximumVideoSizes) mids"))
        }
        var sizes: [String: VideoSize] = [:]
        let range = 0...Double(maximumVideoDimension)
        for (mid, size) in wire {
            guard !mid.isEmpty, mid.utf8.count <= maximumMidLength else {
                return .failure(Refusal(reason: "a mid in `sizes` is 1 to \(maximumMidLength) bytes"))
            }
            guard range.contains(size.width), range.contains(size.height) else {
                return .failure(Refusal(reason: "`width` and `height` are 0 to \(maximumVideoDimension) pixels"))
            }
            sizes[mid] = VideoSize(width: Int(size.width.rounded()), height: Int(size.height.rounded()))
        }
        return .success(.videoSizes(sizes))
    }

    private static func checkSize(_ sdp: String) -> Refusal? {
        sdp.utf8.count > maximumSDPBytes ? Refusal(reason: "the SDP is larger than \(maximumSDPBytes) bytes") : nil
    }

    private static func sources(_ wire: [String: String]) -> Result<[String: Source], Refusal> {
        guard wire.count <= maximumSources else {
            return .failure(Refusal(reason: "`sources` names at most \(maximumSources) mids"))
        }
        var sources: [String: Source] = [:]
        for (mid, name) in wire {
            guard !mid.isEmpty, mid.utf8.count <= maximumMidLength else {
                return .failure(Refusal(reason: "a mid in `sources` is 1 to \(maximumMidLength) bytes"))
            }
            guard let source = Source(rawValue: name) else {
                return .failure(Refusal(reason: "`sources` values are microphone, camera or screen"))
            }
            sources[mid] = source
        }
        return .success(sources)
    }
}
