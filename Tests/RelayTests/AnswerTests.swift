import PeerClient
import SDP
import Testing

@testable import Relay

/// The relay's answers as other stacks read them.
@Suite struct AnswerTests {
    @Test func everyAcceptedSectionCarriesTheCandidates() throws {
        let harness = try RelayHarness()
        let peer = try PeerClient()
        let result = try harness.engine.join(
            .init(roomID: "r", userID: "u", role: .host, intent: .publish,
                offer: peer.makeOffer(audio: .sendonly, video: .sendonly)), now: .now)
        let answer = try SessionDescription(parsing: result.answer)
        #expect(answer.media.count == 2)
        for section in answer.media {
            #expect(section.candidates.map(\.port) == [40_000], "m=\(section.type) has the relay's host candidate")
            #expect(section.attributes.contains { $0.name == "end-of-candidates" })
        }
    }
}
