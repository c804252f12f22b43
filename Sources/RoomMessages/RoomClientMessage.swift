import Foundation

/// A message a member sends on the room WebSocket (`Sources/Signaling/README.md`), decoded and
/// checked before anything acts on it.
///
/// Separate from Signaling (and Hummingbird) so the decoding every stranger's text frame goes
/// through can be fuzzed on its own with sanitizers (`Fuzz/Sources/FuzzRoomMessages`); the
/// connection only switches on the result.
public enum RoomClientMessage: Sendable, Equatable {
    case publish(sdp: String)
    case subscribe(participant: String, sdp: String)
    case unsubscribe(participant: String)
    case unpublish
    case mute(kind: MediaKind, muted: Bool)
    case leave

    public enum MediaKind: String, Sendable, Equatable {
        case audio, video
    }

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
        var kind: String?
        var muted: Bool?
    }

    /// Decodes one text frame; anything that is not a complete, known message is a refusal.
    public static func decode(_ text: String) -> Result<RoomClientMessage, Refusal> {
        guard let message = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)) else {
            return .failure(Refusal(reason: "messages are JSON objects with a `type`"))
        }
        switch message.type {
        case "publish":
            guard let sdp = message.sdp else { return .failure(Refusal(reason: "publish needs `sdp` (an offer)")) }
            return .success(.publish(sdp: sdp))
        case "subscribe":
            guard let sdp = message.sdp, let user = message.participant else {
                return .failure(Refusal(reason: "subscribe needs `participant` (a user id) and `sdp` (an offer)"))
            }
            return .success(.subscribe(participant: user, sdp: sdp))
        case "unsubscribe":
            guard let user = message.participant else { return .failure(Refusal(reason: "unsubscribe needs `participant`")) }
            return .success(.unsubscribe(participant: user))
        case "unpublish":
            return .success(.unpublish)
        case "mute":
            guard let kind = message.kind.flatMap(MediaKind.init(rawValue:)), let muted = message.muted else {
                return .failure(Refusal(reason: "mute needs `kind` (audio|video) and `muted` (true|false)"))
            }
            return .success(.mute(kind: kind, muted: muted))
        case "leave":
            return .success(.leave)
        default:
            return .failure(Refusal(reason: "unknown message type `\(message.type)`"))
        }
    }

    /// The media kinds a publish offer carries (`m=audio ` / `m=video ` lines), announced to the room.
    public static func publishedKinds(in sdp: String) -> [String] {
        ["audio", "video"].filter { sdp.contains("m=\($0) ") }
    }
}
