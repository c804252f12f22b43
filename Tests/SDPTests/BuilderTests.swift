import Testing

@testable import SDP

@Suite("Building descriptions")
struct BuilderTests {
    static let sfuFingerprint = Fingerprint(
        hashFunction: "sha-256", bytes: (0..<32).map { UInt8($0 &* 7 &+ 3) })

    /// What an ice-lite SFU answers to Chromium's sendrecv offer: one codec per kind, passive DTLS,
    /// the offer's mids and header extension ids, one host candidate.
    static func answer(to offer: SessionDescription) throws -> SessionDescription {
        var answer = SessionDescription(origin: Origin(sessionID: 4_611_731_400_430_051_336, sessionVersion: 2))
        answer.append(.iceLite)
        answer.append(Group(semantics: Group.bundle, mids: offer.media.compactMap(\.mid)))
        let wanted: Set<String> = [
            "urn:ietf:params:rtp-hdrext:sdes:mid",
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        ]
        for offered in offer.media {
            var section = MediaDescription(type: offered.type, proto: offered.proto)
            section.mid = offered.mid
            section.iceUfrag = "sfu1"
            section.icePwd = "0123456789abcdefghijklmn"
            section.iceOptions = [.ice2]
            section.append(sfuFingerprint)
            section.setup = .passive
            section.direction = offer.direction(of: offered).reversed
            section.append(.rtcpMux)
            section.append(.rtcpReducedSize)
            for extmap in offered.extensionMaps where wanted.contains(extmap.uri) {
                section.append(extmap)
            }
            let encoding = offered.type == .audio ? "opus" : "VP8"
            let primary = try #require(offered.codecs.first { $0.rtpMap.encodingName == encoding })
            section.addCodec(
                Codec(rtpMap: primary.rtpMap, parameters: primary.parameters, feedback: primary.feedback))
            if offered.type == .video {
                let rtx = try #require(
                    offered.codecs.first { $0.rtpMap.encodingName == "rtx" && $0.parameter("apt") == "96" })
                section.addCodec(rtx)
            }
            section.append(
                Candidate(
                    foundation: "1", component: 1, transport: "udp", priority: 2_130_706_431, address: "192.0.2.10",
                    port: 3478, kind: .host))
            section.append(.endOfCandidates)
            answer.media.append(section)
        }
        return answer
    }

    @Test func answerReparsesEqual() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        let answer = try Self.answer(to: offer)
        let text = answer.serialized()
        let reparsed = try SessionDescription(parsing: text)
        #expect(reparsed == answer)
        #expect(reparsed.serialized() == text)
        #expect(!text.contains("\n\n") && text.hasSuffix("\r\n"))
        #expect(text.split(separator: "\r\n").allSatisfy { !$0.contains("\n") })
    }

    @Test func answerHasTheNegotiatedShape() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        let answer = try SessionDescription(parsing: Self.answer(to: offer).serialized())
        #expect(answer.contains(.iceLite))
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        #expect(answer.media.map(\.setup) == [.passive, .passive])
        #expect(answer.media.allSatisfy { answer.fingerprints(of: $0) == [Self.sfuFingerprint] })
        #expect(answer.media.map(\.iceOptions) == [[.ice2], [.ice2]])

        let audio = answer.media[0]
        #expect(audio.payloadTypes == [111])
        #expect(audio.codecs.first?.parameter("useinbandfec") == "1")
        #expect(audio.rtcpFeedback.map(\.attributeValue) == ["111 transport-cc"])
        #expect(audio.extensionMaps.map(\.id) == [1, 3, 4])

        let video = answer.media[1]
        #expect(video.payloadTypes == [96, 97])
        #expect(video.codecs.map(\.rtpMap.encodingName) == ["VP8", "rtx"])
        #expect(video.rtcpFeedback(for: 96).count == 5)
        #expect(video.extensionMaps.map(\.id) == [3, 4])
        #expect(video.candidates.first?.port == 3478)
        #expect(video.contains(.endOfCandidates))

        let text = answer.serialized()
        for expected in [
            "v=0\r\no=- 4611731400430051336 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-lite\r\na=group:BUNDLE 0 1\r\n",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n",
            "a=setup:passive\r\n", "a=rtpmap:111 opus/48000/2\r\n", "a=fmtp:97 apt=96\r\n",
            "a=candidate:1 1 udp 2130706431 192.0.2.10 3478 typ host\r\na=end-of-candidates\r\n",
            "a=fingerprint:sha-256 03:0A:11:18:",
        ] {
            #expect(text.contains(expected), "\(expected)")
        }
    }

    @Test func singleValuedSettersEditInPlace() throws {
        var section = try #require(Fixture.parsed("chromium-sendrecv-offer").media.first)
        let count = section.attributes.count
        let midIndex = try #require(section.attributes.firstIndex { $0.name == "mid" })
        section.mid = "audio"
        section.setup = .passive
        section.direction = .recvonly
        section.iceUfrag = "abcd"
        #expect(section.attributes.count == count)
        #expect(section.attributes[midIndex] == Attribute(name: "mid", value: "audio"))
        #expect(section.direction == .recvonly && section.setup == .passive && section.iceUfrag == "abcd")
        #expect(!section.attributes.contains { $0.name == "sendrecv" })

        section.direction = nil
        section.iceOptions = []
        section.set(.rtcpMux, false)
        section.sctpPort = 5000
        #expect(section.direction == nil && section.iceOptions.isEmpty && !section.contains(.rtcpMux))
        #expect(section.attributes.count == count - 3 + 1)
        #expect(section.attributes.last == Attribute(name: "sctp-port", value: "5000"))
        section.simulcast = Simulcast(send: [], recv: [[.init(id: "h")], [.init(id: "l")]])
        #expect(section.simulcast?.recv.count == 2)
        #expect(
            try SessionDescription(
                parsing: SessionDescription(origin: .init(sessionID: 1, sessionVersion: 1), media: [section])
                    .serialized()
            ).media == [section])
    }

    @Test func fullFieldSetRoundTrips() throws {
        var description = SessionDescription(
            origin: Origin(
                username: "jdoe", sessionID: 3_724_394_400, sessionVersion: 3_724_394_405, address: "198.51.100.1"),
            sessionName: "Call to John Smith", information: "SDP Offer #1",
            uri: "http://www.jdoe.example.com/home.html",
            emails: ["Jane Doe <jane@jdoe.example.com>"], phones: ["+1 617 555-6011"],
            connection: Connection(address: "198.51.100.1"), bandwidths: [Bandwidth(type: "AS", value: 512)],
            timing: [Timing(start: 0, stop: 0, repeats: ["604800 3600 0 90000"], zoneAdjustments: "2882844526 -1h")],
            encryptionKey: "prompt")
        description.media.append(
            MediaDescription(
                type: .video, port: 51372, portCount: 2, proto: "RTP/AVP", formats: ["99"], information: "camera",
                connections: [Connection(addressType: "IP6", address: "2001:db8::2")],
                bandwidths: [Bandwidth(type: "TIAS", value: 500_000)], encryptionKey: "prompt",
                attributes: [Attribute(RTPMap(payloadType: 99, encodingName: "h263-1998", clockRate: 90000))]))
        let text = description.serialized()
        #expect(try SessionDescription(parsing: text) == description)
        #expect(
            text.contains(
                "m=video 51372/2 RTP/AVP 99\r\ni=camera\r\nc=IN IP6 2001:db8::2\r\nb=TIAS:500000\r\nk=prompt\r\n"))
    }
}
