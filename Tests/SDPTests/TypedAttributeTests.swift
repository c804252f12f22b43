import Testing

@testable import SDP

/// Typed attribute parsers against examples printed in the RFCs that define them.
@Suite("Typed attributes")
struct TypedAttributeTests {
    /// Parses the text after `a=<name>:`, asserting the attribute name matches.
    func parse<Value: SDPAttributeValue>(_ line: String, as _: Value.Type = Value.self) throws -> Value {
        let body = try #require(line.hasPrefix("a=") ? line.dropFirst(2) : nil)
        let attribute = Attribute(fieldValue: body)
        return try #require(attribute.typed(as: Value.self), "\(line)")
    }

    /// RFC 8839 §5.1 / RFC 5245 §15.1 example of a server-reflexive candidate.
    @Test func serverReflexiveCandidate() throws {
        let line = "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998"
        let candidate = try parse(line, as: Candidate.self)
        #expect(candidate.foundation == "2")
        #expect(candidate.component == 1)
        #expect(candidate.transport == "UDP")
        #expect(candidate.priority == 1_694_498_815)
        #expect(candidate.address == "192.0.2.3")
        #expect(candidate.port == 45664)
        #expect(candidate.kind == .serverReflexive)
        #expect(candidate.relatedAddress == "10.0.1.1")
        #expect(candidate.relatedPort == 8998)
        #expect(candidate.extensions.isEmpty)
        #expect("a=" + Attribute(candidate).fieldValue == line)
    }

    @Test func trickledCandidateString() throws {
        let candidate = try #require(
            Candidate(trickled: "candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host generation 0"))
        #expect(candidate.kind == .host)
        #expect(candidate.extensionValue("generation") == "0")
        #expect(Candidate(trickled: "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host") != nil)
        #expect(Candidate(trickled: "1 1 UDP 2130706431 10.0.1.1 8998 typ host") == nil)
    }

    @Test(arguments: [
        "1 1 UDP 2130706431 10.0.1.1 8998 typ",  // missing type
        "1 1 UDP 2130706431 10.0.1.1 8998 type host",  // "typ" keyword misspelled
        "1 x UDP 2130706431 10.0.1.1 8998 typ host",  // component not numeric
        "1 1 UDP 4294967296 10.0.1.1 8998 typ host",  // priority overflows 32 bits
        "1 1 UDP 2130706431 10.0.1.1 65536 typ host",  // port overflows 16 bits
        "1 1 UDP 2130706431 10.0.1.1 8998 typ host generation",  // dangling extension name
        "1 1 UDP 2130706431 10.0.1.1  8998 typ host",  // doubled space
        "2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport x",
    ])
    func malformedCandidates(value: String) {
        #expect(Candidate(attributeValue: Substring(value)) == nil)
    }

    /// RFC 8122 §5 (and RFC 4572 §5) example; the hash token is case-insensitive.
    @Test func fingerprintExample() throws {
        let fingerprint = try parse(
            "a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB", as: Fingerprint.self)
        #expect(fingerprint.hashFunction == "sha-1")
        #expect(
            fingerprint.bytes == [
                0x4A, 0xAD, 0xB9, 0xB1, 0x3F, 0x82, 0x18, 0x3B, 0x54, 0x02, 0x12, 0xDF, 0x3E, 0x5D, 0x49, 0x6B, 0x19,
                0xE5,
                0x7C, 0xAB,
            ])
        #expect(fingerprint.hex == "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB")
        #expect(
            Fingerprint(attributeValue: "sha-256 4a:ad") == Fingerprint(hashFunction: "SHA-256", bytes: [0x4A, 0xAD]))
    }

    @Test(arguments: [
        "sha-256", "sha-256 ", "sha-256 4A:A", "sha-256 4A::AD", "sha-256 4G:AD", "sha-256 4AAD", " 4A:AD",
    ])
    func malformedFingerprints(value: String) {
        #expect(Fingerprint(attributeValue: Substring(value)) == nil)
    }

    /// RFC 8285 §8 examples, one with a direction and extension attributes.
    @Test func extensionMapExamples() throws {
        let plain = try parse("a=extmap:1 http://example.com/082005/ext.htm#ttime", as: ExtensionMap.self)
        #expect(plain == ExtensionMap(id: 1, uri: "http://example.com/082005/ext.htm#ttime"))
        let full = try parse("a=extmap:2/sendrecv http://example.com/082005/ext.htm#xmeta short", as: ExtensionMap.self)
        #expect(full.id == 2)
        #expect(full.direction == .sendrecv)
        #expect(full.uri == "http://example.com/082005/ext.htm#xmeta")
        #expect(full.extensionAttributes == "short")
        #expect(full.attributeValue == "2/sendrecv http://example.com/082005/ext.htm#xmeta short")
        #expect(ExtensionMap(attributeValue: "0 urn:x") == nil)
        #expect(ExtensionMap(attributeValue: "1/sideways urn:x") == nil)
        #expect(ExtensionMap(attributeValue: "1") == nil)
    }

    /// RFC 4585 §4.2 examples: wildcard and per-payload-type feedback.
    @Test func rtcpFeedbackExamples() throws {
        let wildcard = try parse("a=rtcp-fb:* nack", as: RTCPFeedback.self)
        #expect(wildcard.payloadType == nil)
        #expect(wildcard.applies(to: 96))
        #expect(wildcard.attributeValue == "* nack")
        let rpsi = try parse("a=rtcp-fb:98 nack rpsi", as: RTCPFeedback.self)
        #expect(rpsi == RTCPFeedback(payloadType: 98, type: "nack", parameter: "rpsi"))
        #expect(!rpsi.applies(to: 97))
        #expect(RTCPFeedback(attributeValue: "98") == nil)
        #expect(RTCPFeedback(attributeValue: "128 nack") == nil)
    }

    /// Pion writes a space after a parameterless feedback type (`transport-cc `, `nack `): read as none.
    @Test func rtcpFeedbackWithATrailingSpaceAsPionWritesIt() throws {
        #expect(try parse("a=rtcp-fb:111 transport-cc ", as: RTCPFeedback.self)
            == RTCPFeedback(payloadType: 111, type: "transport-cc"))
        #expect(try parse("a=rtcp-fb:96 nack \t", as: RTCPFeedback.self) == RTCPFeedback(payloadType: 96, type: "nack"))
        #expect(try parse("a=rtcp-fb:96 nack pli ", as: RTCPFeedback.self)
            == RTCPFeedback(payloadType: 96, type: "nack", parameter: "pli"))
        #expect(RTCPFeedback(attributeValue: "96  ") == nil)
        let offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
            + "c=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb \r\na=rtcp-fb:96 nack \r\n"
        let parsed = try SessionDescription(parsing: offer)
        #expect(parsed.media[0].codecs.first?.feedback.map(\.type) == ["goog-remb", "nack"])
        #expect(parsed.serialized() == offer)
    }

    @Test func rtpMapVariants() throws {
        #expect(try parse("a=rtpmap:99 h263-1998/90000", as: RTPMap.self).clockRate == 90000)
        let g722 = try parse("a=rtpmap:9 G722/8000/1", as: RTPMap.self)
        #expect(g722.channels == 1)
        #expect(g722.attributeValue == "9 G722/8000/1")
        for bad in [
            "96", "96 VP8", "96 VP8/", "96 /90000", "x VP8/90000", "128 VP8/90000", "96 VP8/90000/2/1", "96 VP8/-1",
        ] {
            #expect(RTPMap(attributeValue: Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func formatParameterLookup() {
        let fmtp = FormatParameters(payloadType: 99, parameters: "max-fs=240; max-fr=30")
        #expect(fmtp.value(for: "max-fr") == "30")
        #expect(fmtp.value(for: "MAX-FS") == "240")
        #expect(fmtp.value(for: "apt") == nil)
        #expect(FormatParameters(attributeValue: "101 0-15")?.value(for: "0-15") == "")
        #expect(FormatParameters(attributeValue: "webrtc-datachannel max-message-size=1")?.payloadType == nil)
    }

    /// RFC 8853 §5.4 offer: rids with restrictions, simulcast with alternatives and both directions.
    @Test func ridAndSimulcastFromRFC8853() throws {
        let rid1 = try parse("a=rid:1 send pt=97;max-width=1280;max-height=720", as: RID.self)
        #expect(rid1.id == "1")
        #expect(rid1.direction == .send)
        #expect(rid1.payloadTypes == [97])
        #expect(rid1.restriction("max-width") == "1280")
        #expect(rid1.restriction("max-height") == "720")
        #expect(rid1.attributeValue == "1 send pt=97;max-width=1280;max-height=720")
        let rid4 = try parse("a=rid:4 recv pt=97", as: RID.self)
        #expect(rid4 == RID(id: "4", direction: .recv, restrictions: [.init(name: "pt", value: "97")]))

        let simulcast = try parse("a=simulcast:send 1;2,3 recv 4", as: Simulcast.self)
        #expect(simulcast.send.map { $0.map(\.id) } == [["1"], ["2", "3"]])
        #expect(simulcast.recv.map { $0.map(\.id) } == [["4"]])
        #expect(simulcast.attributeValue == "send 1;2,3 recv 4")
        #expect(simulcast.reversed.attributeValue == "send 4 recv 1;2,3")
    }

    @Test func simulcastPausedAndReceiveFirst() throws {
        let paused = try parse("a=simulcast:send 1,~4;2;3 recv c", as: Simulcast.self)
        #expect(paused.send[0] == [.init(id: "1"), .init(id: "4", isPaused: true)])
        #expect(paused.attributeValue == "send 1,~4;2;3 recv c")
        let recvFirst = try parse("a=simulcast:recv c send 1", as: Simulcast.self)
        #expect(recvFirst == Simulcast(send: [[.init(id: "1")]], recv: [[.init(id: "c")]]))
        for bad in ["send", "send 1 send 2", "sideways 1", "send 1;;2", "send rid=1", "send 1 recv"] {
            #expect(Simulcast(attributeValue: Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func ridRejectsBadSyntax() {
        for bad in ["q", "q both", "q send pt=", "q send ;", "q! send", "q send a b"] {
            #expect(RID(attributeValue: Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func groupsStreamsAndSSRCs() throws {
        #expect(try parse("a=group:BUNDLE 0 1 2", as: Group.self).mids == ["0", "1", "2"])
        #expect(try parse("a=group:LS", as: Group.self) == Group(semantics: "LS", mids: []))
        #expect(try parse("a=msid:- track", as: MediaStreamID.self) == MediaStreamID(streamID: "-", trackID: "track"))
        #expect(try parse("a=msid:stream", as: MediaStreamID.self).trackID == nil)
        let msidSSRC = try parse("a=ssrc:1 msid:stream track", as: SSRCAttribute.self)
        #expect(msidSSRC == SSRCAttribute(ssrc: 1, attribute: "msid", value: "stream track"))
        #expect(try parse("a=ssrc:4294967295 mslabel", as: SSRCAttribute.self).value == nil)
        #expect(SSRCAttribute(attributeValue: "4294967296 cname:x") == nil)
        let sim = try parse("a=ssrc-group:SIM 1 2 3", as: SSRCGroup.self)
        #expect(sim == SSRCGroup(semantics: SSRCGroup.simulcast, ssrcs: [1, 2, 3]))
        #expect(SSRCGroup(attributeValue: "FID") == nil)
        #expect(SSRCGroup(attributeValue: "FID 1 x") == nil)
    }

    @Test func setupAndDirection() throws {
        #expect(SetupRole.allCases.allSatisfy { SetupRole(attributeValue: Substring($0.rawValue)) == $0 })
        #expect(SetupRole(attributeValue: "Active") == nil)
        #expect(MediaDirection.sendonly.reversed == .recvonly)
        #expect(MediaDirection.inactive.reversed == .inactive)
        #expect(StreamDirection.send.reversed == .recv)
    }
}
