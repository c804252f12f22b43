import Testing

@testable import SDP

@Suite("aiortc and Firefox captures")
struct OtherStackFixtureTests {
    @Test func aiortcOffer() throws {
        let offer = try Fixture.parsed("aiortc-offer")
        #expect(offer.origin.sessionID == 4_004_614_649)
        #expect(offer.origin.sessionVersion == 4_004_614_649)
        #expect(offer.bundleGroup?.mids == ["0", "1"])
        let audio = offer.media[0]
        #expect(audio.port == 58541)
        #expect(audio.connection?.address == "192.0.2.2")
        #expect(audio.payloadTypes == [96, 9, 0, 8])
        #expect(audio.rtpMap(for: 96) == RTPMap(payloadType: 96, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.iceUfrag == "ipkB")
        #expect(audio.icePwd == "WCdbDtnZb6s64KH499PAhV")
        #expect(audio.iceOptions.isEmpty)
        #expect(audio.contains(.endOfCandidates))
        #expect(audio.fingerprints.map(\.hashFunction) == ["sha-256", "sha-384", "sha-512"])
        #expect(audio.fingerprints.map(\.bytes.count) == [32, 48, 64])
        #expect(audio.fingerprints[0].bytes.prefix(3) == [0xDC, 0xA6, 0xDD])
        #expect(audio.extensionMaps.map(\.id) == [1, 2])

        let candidate = try #require(audio.candidates.first)
        #expect(candidate.foundation == "f957a2332b1715da3b0ef8ba684454eb")
        #expect(candidate.priority == 2_130_706_431)
        #expect(candidate.address == "192.0.2.2")
        #expect(candidate.port == 58541)
        #expect(candidate.extensions.isEmpty)
        #expect(audio.candidates[1].address == "fd00::2")

        let video = offer.media[1]
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [4_163_790_739, 1_956_451_247])])
        #expect(video.codecs.map(\.rtpMap.encodingName) == ["VP8", "rtx", "H264", "rtx", "H264", "rtx"])
        #expect(video.codecs[1].parameter("apt") == "97")
        #expect(video.rtcpFeedback(for: 97).map(\.type) == ["nack", "nack", "goog-remb"])
        #expect(video.setup == .actpass)
    }

    @Test func aiortcAnswerMirrorsChromiumOffer() throws {
        let offer = try Fixture.parsed("chromium-sendrecv-offer")
        let answer = try Fixture.parsed("aiortc-answer")
        #expect(answer.media.map(\.mid) == offer.media.map(\.mid))
        #expect(answer.media.map(\.setup) == [.active, .active])
        // The answer reuses the offer's payload types and header extension ids.
        #expect(answer.media[0].payloadTypes == [111, 9, 0, 8])
        #expect(answer.media[1].payloadTypes == [96, 97, 102, 103, 108, 109])
        for section in answer.media {
            let offered = try #require(offer.media(withMid: section.mid ?? ""))
            for extmap in section.extensionMaps {
                #expect(offered.extensionMaps.contains { $0.id == extmap.id && $0.uri == extmap.uri })
            }
        }
        #expect(answer.media[0].iceUfrag == "sk1S")
    }

    @Test func firefoxOffer() throws {
        let offer = try Fixture.parsed("firefox52-offer")
        #expect(offer.origin.username == "mozilla...THIS_IS_SDPARTA-52.0a1")
        #expect(offer.origin.sessionID == 506_705_521_068_071_134)
        #expect(offer.bundleGroup?.mids == ["sdparta_0", "sdparta_1", "sdparta_2"])
        #expect(offer.iceOptions == [.trickle])
        // Firefox puts the fingerprint at session level only.
        let fingerprint = try #require(offer.fingerprints.first)
        #expect(fingerprint.bytes.prefix(2) == [0xCD, 0x34])
        #expect(offer.media.allSatisfy { $0.fingerprints.isEmpty })
        #expect(offer.media.allSatisfy { offer.fingerprints(of: $0) == [fingerprint] })

        #expect(offer.media.map(\.direction) == [.sendrecv, .sendonly, .recvonly])
        #expect(offer.media[1].contains(.bundleOnly))
        #expect(offer.media.map { offer.iceUfrag(of: $0) } == ["58b99ead", "58b99ead", "58b99ead"])
        #expect(offer.media[0].icePwd == "e3baa26dd2fa5030d881d385f1e36cce")

        let audio = offer.media[0]
        #expect(
            audio.extensionMaps == [
                ExtensionMap(id: 1, direction: .sendonly, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level")
            ])
        #expect(audio.rtpMap(for: 9) == RTPMap(payloadType: 9, encodingName: "G722", clockRate: 8000, channels: 1))
        #expect(audio.formatParameters(for: 109)?.value(for: "maxplaybackrate") == "48000")
        #expect(audio.msids.first?.streamID == "{5a990edd-0568-ac40-8d97-310fc33f3411}")
        #expect(audio.ssrcAttribute("cname", of: 2_655_508_255) == "{735484ea-4f6c-f74a-bd66-7425f8476c2e}")

        let video = offer.media[2]
        #expect(video.codecs.map(\.payloadType) == [126, 120, 97])
        #expect(video.codecs[0].parameter("packetization-mode") == "1")
        #expect(video.codecs[1].parameter("max-fs") == "12288")
        #expect(video.rtcpFeedback(for: 120).count == 4)
    }
}
