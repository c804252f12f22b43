import Testing

@testable import SDP

@Suite("Chromium captures")
struct ChromiumFixtureTests {
    @Test func sendrecvOfferSessionLevel() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        #expect(offer.version == 0)
        #expect(
            offer.origin
                == Origin(
                    username: "-", sessionID: 3_940_974_151_283_531_712, sessionVersion: 2, networkType: "IN",
                    addressType: "IP4", address: "127.0.0.1"))
        #expect(offer.sessionName == "-")
        #expect(offer.timing == [Timing(start: 0, stop: 0)])
        #expect(offer.bundleGroup == Group(semantics: "BUNDLE", mids: ["0", "1"]))
        #expect(offer.contains(.extmapAllowMixed))
        #expect(!offer.contains(.iceLite))
        #expect(offer.attributes(named: "msid-semantic").first?.value == " WMS 32974ab2-e04e-458a-9909-02307d9eb755")
        #expect(offer.media.map(\.type) == [.audio, .video])
        #expect(offer.media.map(\.mid) == ["0", "1"])
    }

    @Test func sendrecvOfferAudioSection() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        let audio = try #require(offer.media(withMid: "0"))
        #expect(audio.port == 39032)
        #expect(audio.proto == .udpTLSRTPSAVPF)
        #expect(audio.payloadTypes == [111, 63, 9, 0, 8, 13, 110, 126])
        #expect(audio.connection == Connection(networkType: "IN", addressType: "IP4", address: "127.0.0.1"))
        #expect(audio.iceUfrag == "TwJO")
        #expect(audio.icePwd == "QDcSopWQ9041zHUL1xMaaYy2")
        #expect(audio.iceOptions == [.trickle])
        #expect(audio.setup == .actpass)
        #expect(audio.direction == .sendrecv)
        #expect(audio.contains(.rtcpMux))
        #expect(audio.contains(.rtcpReducedSize))

        let fingerprint = try #require(audio.fingerprints.first)
        #expect(fingerprint.hashFunction == "sha-256")
        #expect(fingerprint.bytes.count == 32)
        #expect(fingerprint.bytes.prefix(4) == [0xB8, 0x3B, 0x52, 0x4E])
        #expect(fingerprint.bytes.last == 0xB5)
        #expect(
            fingerprint.hex
                == "B8:3B:52:4E:C3:49:9A:DE:FA:94:CE:8E:68:F4:DE:F1:8D:F2:D8:61:63:FA:D1:D1:4F:16:3A:BF:24:49:3B:B5")

        #expect(audio.rtpMap(for: 111) == RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.rtpMap(for: 0) == RTPMap(payloadType: 0, encodingName: "PCMU", clockRate: 8000))
        #expect(audio.formatParameters(for: 111)?.value(for: "useinbandfec") == "1")
        #expect(audio.formatParameters(for: 111)?.value(for: "minptime") == "10")
        #expect(audio.formatParameters(for: 63)?.parameters == "111/111")
        #expect(audio.rtcpFeedback(for: 111) == [RTCPFeedback(payloadType: 111, type: "transport-cc")])

        #expect(
            audio.extensionMaps.map(\.id) == [1, 2, 3, 4])
        #expect(audio.extensionMaps.first { $0.uri == "urn:ietf:params:rtp-hdrext:sdes:mid" }?.id == 4)

        #expect(
            audio.msids == [
                MediaStreamID(
                    streamID: "32974ab2-e04e-458a-9909-02307d9eb755", trackID: "f3d9528f-f9b5-41cd-a95f-e9cdfc3e4a7e")
            ])
        #expect(audio.ssrcs == [2_749_335_565])
        #expect(audio.ssrcAttribute("cname", of: 2_749_335_565) == "zVaKIdCmQWAoVUzv")
        #expect(
            audio.ssrcAttribute("msid", of: 2_749_335_565)
                == "32974ab2-e04e-458a-9909-02307d9eb755 f3d9528f-f9b5-41cd-a95f-e9cdfc3e4a7e")
        // Unknown attributes stay, in place.
        #expect(audio.attributes(named: "rtcp-xr").map(\.value) == ["rcvr-rtt=all"])
        #expect(audio.attributes[0] == Attribute(name: "rtcp", value: "9 IN IP4 0.0.0.0"))
    }

    @Test func sendrecvOfferGatheredCandidates() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        let candidates = offer.media[0].candidates
        #expect(candidates.count == 8)
        #expect(
            candidates[0]
                == Candidate(
                    foundation: "2168603958", component: 1, transport: "udp", priority: 2_122_194_687,
                    address: "127.0.0.1", port: 39032, kind: .host,
                    extensions: [
                        .init(name: "generation", value: "0"), .init(name: "network-id", value: "3"),
                        .init(name: "network-cost", value: "50"),
                    ]))
        #expect(candidates[2].address == "::1")
        #expect(candidates[2].port == 39824)
        let tcp = candidates.filter { $0.transport == "tcp" }
        #expect(tcp.count == 4)
        #expect(tcp.allSatisfy { $0.port == 9 && $0.extensionValue("tcptype") == "active" })
        #expect(candidates.allSatisfy { $0.kind == .host && $0.relatedAddress == nil })
        #expect(offer.media[1].candidates.map(\.port).prefix(4) == [38020, 43628, 51851, 33336])
        #expect(!offer.media[0].contains(.endOfCandidates))
    }

    @Test func sendrecvOfferVideoSection() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        let video = try #require(offer.media(withMid: "1"))
        #expect(video.type == .video)
        #expect(video.payloadTypes.count == 23)
        let codecs = video.codecs
        #expect(codecs.first?.rtpMap == RTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000))
        #expect(
            codecs.first?.feedback.map(\.attributeValue) == [
                "96 goog-remb", "96 transport-cc", "96 ccm fir", "96 nack", "96 nack pli",
            ])
        #expect(codecs.first { $0.payloadType == 97 }?.parameter("apt") == "96")
        #expect(codecs.first { $0.payloadType == 45 }?.rtpMap.encodingName == "AV1")
        #expect(codecs.first { $0.payloadType == 102 }?.parameter("profile-level-id") == "42001f")
        #expect(video.rtcpFeedback(for: 96).contains(RTCPFeedback(payloadType: 96, type: "nack", parameter: "pli")))

        let extmaps = Dictionary(uniqueKeysWithValues: video.extensionMaps.map { ($0.uri, $0.id) })
        #expect(extmaps["urn:ietf:params:rtp-hdrext:toffset"] == 14)
        #expect(extmaps["urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"] == 10)
        #expect(extmaps["urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"] == 11)
        #expect(extmaps["http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"] == 3)

        #expect(video.ssrcGroups == [SSRCGroup(semantics: SSRCGroup.fid, ssrcs: [1_514_435_691, 964_181_455])])
        #expect(video.ssrcs == [1_514_435_691, 964_181_455])
        #expect(video.ssrcAttribute("cname", of: 964_181_455) == "zVaKIdCmQWAoVUzv")
    }

    @Test func recvonlyOffer() throws {
        let offer = try Fixture.parsed("chromium-recvonly-offer")
        #expect(offer.media.map { offer.direction(of: $0) } == [.recvonly, .recvonly])
        #expect(offer.media.allSatisfy { $0.port == 9 && $0.candidates.isEmpty })
        #expect(offer.media.allSatisfy { $0.msids.isEmpty && $0.ssrcs.isEmpty })
        #expect(offer.media[0].iceUfrag == "lgyW")
        #expect(offer.media[1].icePwd == "lK4qfSSlHkWWgSuQZzashuGu")
        #expect(offer.media[1].payloadTypes.first == 96)
        #expect(offer.media[1].payloadTypes.count == 34)
        #expect(offer.media[1].codecs.count == 34)
        #expect(offer.fingerprints(of: offer.media[1]).first?.bytes.prefix(2) == [0x43, 0x31])
    }

    @Test func simulcastOffer() throws {
        let offer = try Fixture.parsed("chromium-simulcast-offer")
        let video = try #require(offer.media(withMid: "1"))
        #expect(video.direction == .sendonly)
        #expect(
            video.rids == [
                RID(id: "q", direction: .send), RID(id: "h", direction: .send), RID(id: "f", direction: .send),
            ])
        let simulcast = try #require(video.simulcast)
        #expect(simulcast.send.map { $0.map(\.id) } == [["q"], ["h"], ["f"]])
        #expect(simulcast.recv.isEmpty)
        #expect(simulcast == Simulcast(sending: ["q", "h", "f"]))
        // With rids, Chromium signals no SSRCs for the video section.
        #expect(video.ssrcs.isEmpty)
        #expect(
            video.extensionMaps.last
                == ExtensionMap(id: 9, uri: "http://www.webrtc.org/experiments/rtp-hdrext/video-layers-allocation00"))
    }

    @Test func datachannelOffer() throws {
        let offer = try Fixture.parsed("chromium-datachannel-offer")
        let application = try #require(offer.media.first)
        #expect(application.type == .application)
        #expect(application.proto == .udpDTLSSCTP)
        #expect(!application.proto.isRTP)
        #expect(application.formats == ["webrtc-datachannel"])
        #expect(application.payloadTypes.isEmpty)
        #expect(application.sctpPort == 5000)
        #expect(application.attributes(named: "max-message-size").first?.value == "262144")
        #expect(application.iceUfrag == "aUf6")
    }

    @Test func answerCarriesActiveSetup() throws {
        let answer = try Fixture.parsed("chromium-sendrecv-answer")
        #expect(answer.media.map(\.setup) == [.active, .active])
        #expect(answer.media.map(\.direction) == [.recvonly, .recvonly])
        #expect(answer.media[0].iceUfrag == "b0Ov")
        #expect(answer.media[1].rtpMap(for: 120)?.encodingName == "ulpfec")
    }
}
