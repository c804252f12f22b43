/// SDP captured from Debian's Janus 1.1.2 (VideoRoom, `ice_lite = true`, ICE limited to a veth in a
/// network namespace) while `peerlearn-load --target janus` ran against it.
enum JanusFixtures {
    /// What Janus offers a subscriber to one feed: audio + video (VP8 with RTX), its own SSRCs,
    /// abs-send-time, transport-cc and playout-delay extensions, one host candidate.
    static let subscriberOffer = """
        v=0\r
        o=- 1795636156395055 1 IN IP4 127.0.0.1\r
        s=VideoRoom 2515789384026125\r
        t=0 0\r
        a=group:BUNDLE 0 1\r
        a=ice-options:trickle\r
        a=fingerprint:sha-256 DA:20:A4:F5:D7:91:08:BD:57:D1:F7:6F:CA:CC:A3:1A:5A:D8:91:EA:13:73:7D:A0:17:A3:F4:61:60:86:2F:6A\r
        a=extmap-allow-mixed\r
        a=msid-semantic: WMS *\r
        a=ice-lite\r
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r
        c=IN IP4 127.0.0.1\r
        a=sendonly\r
        a=mid:0\r
        a=rtcp-mux\r
        a=ice-ufrag:eVJa\r
        a=ice-pwd:g2+uDwS2Qt9UZ+C13/fhRL\r
        a=ice-options:trickle\r
        a=setup:actpass\r
        a=rtpmap:111 opus/48000/2\r
        a=rtcp-fb:111 transport-cc\r
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=fmtp:111 useinbandfec=1\r
        a=msid:janus janus0\r
        a=ssrc:181313312 cname:janus\r
        a=candidate:1 1 udp 2015363327 10.77.0.2 26735 typ host\r
        a=end-of-candidates\r
        m=video 9 UDP/TLS/RTP/SAVPF 96 97\r
        c=IN IP4 127.0.0.1\r
        a=sendonly\r
        a=mid:1\r
        a=rtcp-mux\r
        a=ice-ufrag:eVJa\r
        a=ice-pwd:g2+uDwS2Qt9UZ+C13/fhRL\r
        a=ice-options:trickle\r
        a=setup:actpass\r
        a=rtpmap:96 VP8/90000\r
        a=rtcp-fb:96 ccm fir\r
        a=rtcp-fb:96 nack\r
        a=rtcp-fb:96 nack pli\r
        a=rtcp-fb:96 goog-remb\r
        a=rtcp-fb:96 transport-cc\r
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=extmap:12 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r
        a=rtpmap:97 rtx/90000\r
        a=fmtp:97 apt=96\r
        a=ssrc-group:FID 2236920932 3350334408\r
        a=msid:janus janus1\r
        a=ssrc:2236920932 cname:janus\r
        a=ssrc:3350334408 cname:janus\r
        a=candidate:1 1 udp 2015363327 10.77.0.2 26735 typ host\r
        a=end-of-candidates\r\n
        """

    /// Janus's answer to a publisher's Chromium-style offer (which offered playout-delay as id 6):
    /// `a=setup:active`, so Janus is the DTLS client and the publisher the server.
    static let publisherAnswer = """
        v=0\r
        o=- 2952678506 2 IN IP4 127.0.0.1\r
        s=VideoRoom 2411007027210180\r
        t=0 0\r
        a=group:BUNDLE 0 1\r
        a=ice-options:trickle\r
        a=fingerprint:sha-256 6C:54:0D:15:4D:6A:03:99:C7:37:B3:B0:54:FA:1D:81:3C:24:DE:03:4F:96:34:FA:A1:E8:4F:7E:B0:08:E9:5E\r
        a=extmap-allow-mixed\r
        a=msid-semantic: WMS *\r
        a=ice-lite\r
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r
        c=IN IP4 127.0.0.1\r
        a=recvonly\r
        a=mid:0\r
        a=rtcp-mux\r
        a=ice-ufrag:IRV9\r
        a=ice-pwd:Hz7SZzgEQwZgKhqHM7L2uM\r
        a=ice-options:trickle\r
        a=setup:active\r
        a=rtpmap:111 opus/48000/2\r
        a=fmtp:111 useinbandfec=1\r
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=msid:janus janus0\r
        a=ssrc:1869158872 cname:janus\r
        a=candidate:1 1 udp 2015363327 10.77.0.2 27988 typ host\r
        a=end-of-candidates\r
        m=video 9 UDP/TLS/RTP/SAVPF 96\r
        c=IN IP4 127.0.0.1\r
        a=recvonly\r
        a=mid:1\r
        a=rtcp-mux\r
        a=ice-ufrag:IRV9\r
        a=ice-pwd:Hz7SZzgEQwZgKhqHM7L2uM\r
        a=ice-options:trickle\r
        a=setup:active\r
        a=rtpmap:96 VP8/90000\r
        a=rtcp-fb:96 ccm fir\r
        a=rtcp-fb:96 nack\r
        a=rtcp-fb:96 nack pli\r
        a=rtcp-fb:96 goog-remb\r
        a=rtcp-fb:96 transport-cc\r
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r
        a=msid:janus janus1\r
        a=ssrc:2715030142 cname:janus\r
        a=candidate:1 1 udp 2015363327 10.77.0.2 27988 typ host\r
        a=end-of-candidates\r\n
        """
}
