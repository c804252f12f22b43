import RoomMessages
import Testing

/// The room WebSocket's client messages (protocol v2), as `Sources/Signaling/README.md` lists them.
@Suite struct RoomClientMessageTests {
    @Test func decodesEveryDocumentedMessage() throws {
        #expect(try RoomClientMessage.decode(#"{"type":"publish","sdp":"v=0"}"#).get() == .publish(sdp: "v=0", sources: [:]))
        #expect(
            try RoomClientMessage.decode(
                #"{"type":"publish","sdp":"v=0","sources":{"0":"microphone","1":"camera","2":"screen"}}"#
            ).get() == .publish(sdp: "v=0", sources: ["0": .microphone, "1": .camera, "2": .screen]))
        #expect(try RoomClientMessage.decode(#"{"type":"subscribe"}"#).get() == .subscribe)
        #expect(try RoomClientMessage.decode(#"{"type":"answer","sdp":"v=0"}"#).get() == .answer(sdp: "v=0"))
        #expect(try RoomClientMessage.decode(#"{"type":"unpublish"}"#).get() == .unpublish)
        #expect(
            try RoomClientMessage.decode(#"{"type":"mute","kind":"video","muted":true}"#).get()
                == .mute(kind: .video, muted: true))
        #expect(try RoomClientMessage.decode(#"{"type":"leave","extra":[1,2]}"#).get() == .leave)
        #expect(try RoomClientMessage.decode(#"{"type":"restart-ice"}"#).get() == .restartICE)
        #expect(
            try RoomClientMessage.decode(#"{"type":"video-sizes","sizes":{"1":{"width":640.4,"height":360},"3":{"width":0,"height":0}}}"#)
                .get() == .videoSizes(["1": .init(width: 640, height: 360), "3": .init(width: 0, height: 0)]))
    }

    static let manySizes = "{" + (0...64).map { #""\#($0)":{"width":1,"height":1}"# }.joined(separator: ",") + "}"

    static let manySources = "{" + (0...16).map { #""\#($0)":"camera""# }.joined(separator: ",") + "}"

    @Test(arguments: [
        ("", "messages are JSON objects with a `type`"),
        ("[1]", "messages are JSON objects with a `type`"),
        (#"{"sdp":"v=0"}"#, "messages are JSON objects with a `type`"),
        (#"{"type":7}"#, "messages are JSON objects with a `type`"),
        (#"{"type":"publish"}"#, "publish needs `sdp` (an offer)"),
        (#"{"type":"publish","sdp":"v=0","sources":{"0":"webcam"}}"#, "`sources` values are microphone, camera or screen"),
        (#"{"type":"publish","sdp":"v=0","sources":{"":"camera"}}"#, "a mid in `sources` is 1 to 32 bytes"),
        (#"{"type":"publish","sdp":"v=0","sources":{"0":1}}"#, "messages are JSON objects with a `type`"),
        (#"{"type":"publish","sdp":"v=0","sources":\#(manySources)}"#, "`sources` names at most 16 mids"),
        (#"{"type":"subscribe","participant":"u1","sdp":"v=0"}"#,
            "subscribe takes no `participant` or `sdp`: the server offers every track"),
        (#"{"type":"answer"}"#, "answer needs `sdp` (an answer)"),
        (#"{"type":"unsubscribe","participant":"u1"}"#,
            "unsubscribe is gone: the one subscribe connection carries every track"),
        (#"{"type":"mute","kind":"screen","muted":true}"#, "mute needs `kind` (audio|video) and `muted` (true|false)"),
        (#"{"type":"mute","kind":"audio","muted":"yes"}"#, "messages are JSON objects with a `type`"),
        (#"{"type":"mute","kind":"audio"}"#, "mute needs `kind` (audio|video) and `muted` (true|false)"),
        (#"{"type":"dance"}"#, "unknown message type `dance`"),
        (#"{"type":"video-sizes"}"#, "video-sizes needs `sizes`: {mid: {width, height}}"),
        (#"{"type":"video-sizes","sizes":{"1":{"width":-1,"height":2}}}"#, "`width` and `height` are 0 to 16384 pixels"),
        (#"{"type":"video-sizes","sizes":{"1":{"width":1e300,"height":2}}}"#, "`width` and `height` are 0 to 16384 pixels"),
        (#"{"type":"video-sizes","sizes":{"":{"width":1,"height":2}}}"#, "a mid in `sizes` is 1 to 32 bytes"),
        (#"{"type":"video-sizes","sizes":{"1":{"width":1}}}"#, "messages are JSON objects with a `type`"),
        (#"{"type":"video-sizes","sizes":\#(manySizes)}"#, "`sizes` names at most 64 mids"),
    ])
    func refusesWithTheReasonTheMemberSees(text: String, reason: String) {
        #expect(RoomClientMessage.decode(text) == .failure(RoomClientMessage.Refusal(reason: reason)))
    }

    @Test(arguments: ["publish", "answer"])
    func anSDPOver64KiBIsRefused(type: String) {
        let fits = String(repeating: "a", count: RoomClientMessage.maximumSDPBytes)
        #expect((try? RoomClientMessage.decode(#"{"type":"\#(type)","sdp":"\#(fits)"}"#).get()) != nil)
        #expect(
            RoomClientMessage.decode(#"{"type":"\#(type)","sdp":"\#(fits)x"}"#)
                == .failure(.init(reason: "the SDP is larger than 65536 bytes")))
    }

    @Test func theTypeOfARefusedMessageIsKnownWhenItParses() {
        #expect(RoomClientMessage.type(of: #"{"type":"answer"}"#) == "answer")
        #expect(RoomClientMessage.type(of: "nope") == nil)
    }
}
