import FuzzSupport
import Relay
import SDP

// SDP as a stranger's WHIP/WHEP/WebSocket offer: parse, walk every typed attribute, serialize,
// then negotiate it for real through RelayEngine.join (OfferNegotiator: ICE credentials,
// fingerprint, BUNDLE, codec and extension selection, answer building) as a publisher or a
// subscriber, and leave again so the engine stays the same size between inputs.
//
// Input: the first byte picks the intent (even: publish, odd: subscribe), the rest is the offer.

nonisolated(unsafe) let engine = RelayEngine(
    configuration: RelayConfiguration(announcedAddresses: ["127.0.0.1"], port: 40_000),
    certificate: try! .init(), ntpAtStart: 0xE000_0000_0000_0000, startInstant: .now)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    let text = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    if let offer = try? SessionDescription(parsing: text) {
        inspect(offer)
        // What we serialize must parse again (the answer goes back to browsers).
        let serialized = offer.serialized()
        if let again = try? SessionDescription(parsing: serialized) {
            precondition(again.media.count == offer.media.count, "serialize/parse changed the m-lines")
        }
    }
    let intent: RelayEngine.JoinRequest.Intent = first & 1 == 0 ? .publish : .subscribe(userID: nil)
    let request = RelayEngine.JoinRequest(
        roomID: "room", userID: first & 1 == 0 ? "host" : "learner", role: first & 1 == 0 ? .host : .participant,
        intent: intent, offer: String(decoding: text, as: UTF8.self))
    if let result = try? engine.join(request, now: .now) {
        // The answer the relay produced must be SDP it can parse itself.
        precondition((try? SessionDescription(parsing: result.answer)) != nil, "the relay's answer does not parse")
        var output = CollectingOutput()
        try! engine.leave(participantID: result.participantID, now: .now, output: &output)
    }
    precondition(engine.participantCount == 0)
    return 0
}

func inspect(_ offer: SessionDescription) {
    consume(offer.bundleGroup)
    consume(offer.groups)
    for section in offer.media {
        consume(offer.iceUfrag(of: section))
        consume(offer.icePwd(of: section))
        consume(offer.fingerprints(of: section).map(\.hex))
        consume(offer.setup(of: section))
        consume(offer.direction(of: section))
        consume(section.payloadTypes)
        consume(section.mid)
        consume(section.candidates)
        consume(section.sctpPort)
        consume(section.codecs.map { ($0.payloadType, $0.parameter("profile-level-id")) })
        consume(section.extensionMaps)
        consume(section.msids)
        consume(section.ssrcs.map { section.ssrcAttribute("cname", of: $0) })
        consume(section.ssrcGroups)
        consume(section.rids.map(\.payloadTypes))
        consume(section.simulcast)
        consume(section.iceOptions)
    }
}

runFuzzer(fuzz)
