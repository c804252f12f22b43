import RoomMessages
import Testing

/// The room WebSocket's client messages, as `Sources/Signaling/README.md` lists them.
@Suite struct RoomClientMessageTests {
    @Test func decodesEveryDocumentedMessage() throws {
        #expect(try RoomClientMessage.decode(#"{"type":"publish","sdp":"v=0"}"#).get() == .publish(sdp: "v=0"))
        #expect(
            try RoomClientMessage.decode(#"{"type":"subscribe","participant":"u1","sdp":"v=0"}"#).get()
                == .subscribe(participant: "u1", sdp: "v=0"))
        #expect(try RoomClientMessage.decode(#"{"type":"unsubscribe","participant":"u1"}"#).get() == .unsubscribe(participant: "u1"))
        #expect(try RoomClientMessage.decode(#"{"type":"unpublish"}"#).get() == .unpublish)
        #expect(
            try RoomClientMessage.decode(#"{"type":"mute","kind":"video","muted":true}"#).get()
                == .mute(kind: .video, muted: true))
        #expect(try RoomClientMessage.decode(#"{"type":"leave","extra":[1,2]}"#).get() == .leave)
    }

    @Test(arguments: [
        ("", "messages are JSON objects with a `type`"),
        ("[1]", "messages are JSON objects with a `type`"),
        (#"{"sdp":"v=0"}"#, "messages are JSON objects with a `type`"),
        (#"{"type":7}"#, "messages are JSON objects with a `type`"),
        (#"{"type":"publish"}"#, "publish needs `sdp` (an offer)"),
        (#"{"type":"subscribe","sdp":"v=0"}"#, "subscribe needs `participant` (a user id) and `sdp` (an offer)"),
        (#"{"type":"unsubscribe"}"#, "unsubscribe needs `participant`"),
        (#"{"type":"mute","kind":"screen","muted":true}"#, "mute needs `kind` (audio|video) and `muted` (true|false)"),
        (#"{"type":"mute","kind":"audio","muted":"yes"}"#, "messages are JSON objects with a `type`"),
        (#"{"type":"mute","kind":"audio"}"#, "mute needs `kind` (audio|video) and `muted` (true|false)"),
        (#"{"type":"dance"}"#, "unknown message type `dance`"),
    ])
    func refusesWithTheReasonTheMemberSees(text: String, reason: String) {
        #expect(RoomClientMessage.decode(text) == .failure(RoomClientMessage.Refusal(reason: reason)))
    }

    @Test func publishedKindsComeFromTheOffersMediaLines() {
        #expect(RoomClientMessage.publishedKinds(in: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") == ["audio"])
        #expect(RoomClientMessage.publishedKinds(in: "m=video 9 x\r\nm=audio 9 x\r\n") == ["audio", "video"])
        #expect(RoomClientMessage.publishedKinds(in: "m=application 9 x") == [])
    }
}
