import DTLS
import SDP
import STUN
import Testing

@testable import PeerClient

/// The answerer side against what Janus really offers, and the offerer side against what it answers.
@Suite struct PeerClientAnswerTests {
    static let playoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

    @Test func answersJanusSubscriberOfferReceiveOnlyAsDTLSClient() throws {
        let peer = try PeerClient()
        let text = try peer.answer(offer: JanusFixtures.subscriberOffer, acceptingExtensions: [Self.playoutDelay])
        let answer = try SessionDescription(parsing: text)
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        #expect(answer.media.map(\.mid) == ["0", "1"])
        for section in answer.media {
            #expect(answer.setup(of: section) == .active)
            #expect(answer.direction(of: section) == .recvonly)
            #expect(answer.iceUfrag(of: section) == peer.localUfrag)
            #expect(answer.icePwd(of: section) == peer.localPassword)
            #expect(answer.fingerprints(of: section).first?.attributeValue == peer.certificate.fingerprint.sdpValue)
        }
        // One codec per section, RTX (97) left out; the offer's payload types.
        #expect(answer.media.map(\.payloadTypes) == [[111], [96]])
        #expect(answer.media[0].rtpMap(for: 111)?.encodingName == "opus")
        #expect(answer.media[1].rtpMap(for: 96)?.encodingName == "VP8")
        // Only the accepted extensions, with the offer's ids (RFC 8285 §5).
        #expect(answer.media[0].extensionMaps.map(\.id) == [4])
        #expect(answer.media[1].extensionMaps.map(\.id) == [4, 12])
        #expect(peer.extensionIDs[Self.playoutDelay] == 12)
        #expect(peer.remotePayloadTypes == ["audio": 111, "video": 96])
        #expect(peer.remoteSSRCs == ["audio": 181_313_312, "video": 2_236_920_932])
        #expect(peer.remote == TransportAddress(ipv4: 10, 77, 0, 2, port: 26_735))
        #expect(peer.dtlsRole == .client)
        #expect(peer.state == .checking)
    }

    @Test func takesPayloadTypesFromTheOffer() throws {
        let offer = JanusFixtures.subscriberOffer
            .replacingAll("111", with: "109").replacingAll(" 96 97", with: " 100 97")
            .replacingAll(":96 ", with: ":100 ").replacingAll("apt=96", with: "apt=100")
        let peer = try PeerClient()
        let answer = try SessionDescription(parsing: try peer.answer(offer: offer))
        #expect(answer.media.map(\.payloadTypes) == [[109], [100]])
        #expect(answer.media[1].rtcpFeedback(for: 100).map(\.attributeValue) == ["100 nack", "100 nack pli"])
        #expect(peer.remotePayloadTypes == ["audio": 109, "video": 100])
    }

    @Test func rejectsSectionsItCannotReceive() throws {
        // Video in H264 only, plus a data channel: both rejected, audio kept.
        let offer = JanusFixtures.subscriberOffer
            .replacingAll("VP8/90000", with: "H264/90000")
            .replacingAll("a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2")
            + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 127.0.0.1\r\na=mid:2\r\na=sctp-port:5000\r\n"
        let peer = try PeerClient()
        let answer = try SessionDescription(parsing: try peer.answer(offer: offer))
        #expect(answer.media.count == 3)
        #expect(answer.media.map(\.port) == [9, 0, 0])
        #expect(answer.media.map(\.mid) == ["0", "1", "2"])
        #expect(answer.bundleGroup?.mids == ["0"])
        #expect(peer.remotePayloadTypes == ["audio": 111])
    }

    static func unusable(_ name: String) -> String {
        let offer = JanusFixtures.subscriberOffer
        switch name {
        case "no candidate": return offer.removingLines { $0.hasPrefix("a=candidate") }
        case "no fingerprint": return offer.removingLines { $0.hasPrefix("a=fingerprint") }
        case "no ICE password": return offer.removingLines { $0.hasPrefix("a=ice-pwd") }
        case "nothing receivable":
            return offer.replacingAll("opus/48000/2", with: "PCMU/8000").replacingAll("VP8/90000", with: "H264/90000")
        case "truncated": return String(offer.prefix(200))
        case "not SDP": return "hello"
        default: return ""
        }
    }

    @Test(arguments: ["no candidate", "no fingerprint", "no ICE password", "nothing receivable", "truncated", "not SDP", "empty"])
    func refusesUnusableOffers(_ name: String) throws {
        let peer = try PeerClient()
        #expect(throws: (any Error).self, "\(name)") { _ = try peer.answer(offer: Self.unusable(name)) }
        #expect(peer.state == .new)
        #expect(peer.pollTransmit() == nil)
    }

    @Test func janusAnswerMakesThePublisherTheDTLSServer() throws {
        let peer = try PeerClient()
        _ = peer.makeOffer(audio: .sendonly, video: .sendonly, headerExtensions: [Self.playoutDelay: 6])
        try peer.applyAnswer(JanusFixtures.publisherAnswer)
        #expect(peer.dtlsRole == .server)
        #expect(peer.extensionIDs == ["urn:ietf:params:rtp-hdrext:sdes:mid": 4, Self.playoutDelay: 6])
        #expect(peer.remote == TransportAddress(ipv4: 10, 77, 0, 2, port: 27_988))
    }

    @Test func passiveAnswerKeepsUsTheDTLSClient() throws {
        let peer = try PeerClient()
        try peer.applyAnswer(JanusFixtures.publisherAnswer.replacingAll("a=setup:active", with: "a=setup:passive"))
        #expect(peer.dtlsRole == .client)
    }

    @Test func offerDeclaresExtraHeaderExtensionsInEverySection() throws {
        let peer = try PeerClient()
        let offer = try SessionDescription(parsing: peer.makeOffer(
            audio: .sendonly, video: .sendonly,
            headerExtensions: ["urn:3gpp:video-orientation": 13, "urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1]))
        for section in offer.media {
            #expect(section.extensionMaps.map(\.id) == [4, 1, 13])
        }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }

    func removingLines(where predicate: (Substring) -> Bool) -> String {
        split(separator: "\r\n", omittingEmptySubsequences: false).filter { !predicate($0) }.joined(separator: "\r\n")
    }
}
