import Relay

/// A publisher whose offer is known to the seeds, so an input can continue its session: a
/// renegotiation must keep its DTLS fingerprint (and its ICE ufrag, unless it restarts ICE). It sends
/// Opus with RED and the audio level, and VP8 with RTX in an FID group. `Fuzz/Corpus/make-seeds.py`
/// writes the same text.
enum FixedPublisher {
    static let ufrag = "fuzzPub1"
    static let fingerprint =
        "sha-256 B8:3B:52:4E:C3:49:9A:DE:FA:94:CE:8E:68:F4:DE:F1:8D:F2:D8:61:63:FA:D1:D1:4F:16:3A:BF:24:49:3B:B5"

    static let offer: String = {
        let transport = [
            "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:\(ufrag)", "a=ice-pwd:fuzzPublisherPassword123",
            "a=ice-options:trickle", "a=fingerprint:\(fingerprint)", "a=setup:actpass",
        ]
        let lines =
            ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
                "a=extmap-allow-mixed", "a=msid-semantic: WMS stream"]
            + ["m=audio 9 UDP/TLS/RTP/SAVPF 111 63"] + transport
            + ["a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=sendonly", "a=msid:stream audio", "a=rtcp-mux",
                "a=rtcp-rsize", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
                "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "a=ssrc:1001 cname:fuzz"]
            + ["m=video 9 UDP/TLS/RTP/SAVPF 96 97"] + transport
            + ["a=mid:1", "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:13 urn:3gpp:video-orientation",
                "a=sendonly", "a=msid:stream video", "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:96 VP8/90000",
                "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtcp-fb:96 ccm fir",
                "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96", "a=ssrc-group:FID 2001 2002", "a=ssrc:2001 cname:fuzz",
                "a=ssrc:2002 cname:fuzz"]
        return lines.joined(separator: "\r\n") + "\r\n"
    }()

    static func request(offer: String) -> RelayEngine.JoinRequest {
        .init(roomID: "room", userID: "host", role: .host, intent: .publish, offer: offer)
    }

    /// Negotiated once: every input that needs the publisher joins it from this.
    static func prepared(for engine: RelayEngine) -> RelayEngine.PreparedJoin {
        do {
            return try RelayEngine.prepare(
                request(offer: offer), configuration: engine.configuration, fingerprint: engine.certificate.fingerprint)
        } catch {
            preconditionFailure("the fixed publisher's offer was refused: \(error)")
        }
    }
}

/// A receiver's SDP with fixed credentials: a WHEP watcher's offer, and a client's answer to the
/// relay's subscribe offer for FixedPublisher's two tracks (mids 0 and 1).
enum FixedReceiver {
    private static func section(_ kind: String, mid: String, codec: String, setup: String) -> [String] {
        ["m=\(kind) 9 UDP/TLS/RTP/SAVPF \(codec.prefix { $0 != " " })", "c=IN IP4 0.0.0.0", "a=ice-ufrag:fuzzSub1",
            "a=ice-pwd:fuzzSubscriberPassword12", "a=fingerprint:\(FixedPublisher.fingerprint)", "a=setup:\(setup)",
            "a=mid:\(mid)", "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "a=recvonly", "a=rtcp-mux",
            "a=rtpmap:\(codec)"]
    }

    private static func description(setup: String) -> String {
        let lines =
            ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1"]
            + section("audio", mid: "0", codec: "111 opus/48000/2", setup: setup)
            + section("video", mid: "1", codec: "96 VP8/90000", setup: setup) + ["a=rtcp-fb:96 nack"]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static let offer = description(setup: "actpass")
    static let answer = description(setup: "active")
}
