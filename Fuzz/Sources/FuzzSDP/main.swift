import FuzzSupport
import Relay
import SDP

// SDP from strangers, in each role the relay receives it: parse, walk every typed attribute, serialize
// and parse again, then hand it to the engine, which must answer with SDP it can parse itself (and
// return to the same size after everyone leaves):
//   0  a WHIP/WHEP/room-socket offer to publish → RelayEngine.join (OfferNegotiator builds the answer)
//   1  the same, to subscribe (watching the room's host)
//   2  a client's answer to the relay's subscribe offer → SubscriptionAnswer, then answerSubscription
//      on a subscribe connection that carries FixedPublisher's audio and video (mids 0 and 1)
//   3  a renegotiation offer continuing FixedPublisher's session → RelayEngine.prepare(continuing:)
//      and renegotiate, with a WHEP subscriber and an answered subscribe connection watching (FixedReceiver),
//      which the relay then offers the publisher's new tracks
//
// Input: the first byte's low two bits pick the role above, the rest is the SDP.
// Set FUZZ_SDP_TRACE=1 to print how far an input got.

nonisolated(unsafe) let engine = RelayEngine(
    configuration: RelayConfiguration(announcedAddresses: ["127.0.0.1"], port: 40_000),
    certificate: try! .init(), ntpAtStart: 0xE000_0000_0000_0000, startInstant: .now)
nonisolated(unsafe) let publisher = FixedPublisher.prepared(for: engine)
let tracing = environmentFlag("FUZZ_SDP_TRACE")

func trace(_ message: @autoclosure () -> String) {
    if tracing { print(message()) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    let bytes = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    if let description = try? SessionDescription(parsing: bytes) {
        inspect(description)
        // What we serialize must parse again (the answer goes back to browsers).
        let serialized = description.serialized()
        if let again = try? SessionDescription(parsing: serialized) {
            precondition(again.media.count == description.media.count, "serialize/parse changed the m-lines")
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    var joined: [String] = []
    switch first & 3 {
    case 0, 1: join(text, subscribing: first & 1 == 1, joined: &joined)
    case 2: answerSubscription(text, joined: &joined)
    default: renegotiate(text, joined: &joined)
    }
    var output = CollectingOutput()
    for id in joined { try! engine.leave(participantID: id, now: .now, output: &output) }
    precondition(engine.participantCount == 0 && engine.roomCount == 0)
    drain()
    return 0
}

func join(_ offer: String, subscribing: Bool, joined: inout [String]) {
    let request = RelayEngine.JoinRequest(
        roomID: "room", userID: subscribing ? "learner" : "host", role: subscribing ? .participant : .host,
        intent: subscribing ? .subscribe(userID: nil) : .publish, offer: offer)
    let result: RelayEngine.JoinResult
    do { result = try engine.join(request, now: .now) } catch { return trace("join: \(error)") }
    trace("joined")
    joined.append(result.participantID)
    precondition(parses(result.answer), "the relay's answer does not parse")
}

func answerSubscription(_ text: String, joined: inout [String]) {
    joined.append(try! engine.join(publisher, now: .now).participantID)
    let opened = try! engine.openSubscription(.init(roomID: "room", userID: "learner", role: .participant), now: .now)
    joined.append(opened.participantID)
    precondition(opened.offer.map { parses($0.sdp) } == true, "the relay's subscribe offer does not parse")
    let limit = engine.configuration.limits.mediaSectionsPerSubscription
    let answer: SubscriptionAnswer
    do { answer = try SubscriptionAnswer(parsing: text, maximumSections: limit) } catch { return trace("answer: \(error)") }
    precondition(parses(text), "SubscriptionAnswer took SDP that does not parse")
    let next: SubscriptionOffer?
    do {
        next = try engine.answerSubscription(participantID: opened.participantID, answer: answer, now: .now)
    } catch {
        return trace("answerSubscription: \(error)")
    }
    trace("answered; next offer: \(next.map { "\($0.tracks.count) tracks" } ?? "none")")
    if let next {
        // A rejected m-section frees its slot, so the relay offers again at once.
        precondition(parses(next.sdp), "the relay's next subscribe offer does not parse")
    } else {
        // With no new offer, the same answer again has nothing to answer.
        do {
            _ = try engine.answerSubscription(participantID: opened.participantID, answer: answer, now: .now)
            preconditionFailure("an answer was taken twice")
        } catch {}
    }
}

func renegotiate(_ offer: String, joined: inout [String]) {
    let published = try! engine.join(publisher, now: .now)
    joined.append(published.participantID)
    let watching = try! engine.join(
        .init(roomID: "room", userID: "watcher", role: .participant, intent: .subscribe(userID: nil),
            offer: FixedReceiver.offer),
        now: .now)
    joined.append(watching.participantID)
    let opened = try! engine.openSubscription(.init(roomID: "room", userID: "learner", role: .participant), now: .now)
    joined.append(opened.participantID)
    let answer = try! SubscriptionAnswer(parsing: FixedReceiver.answer, maximumSections: 2)
    precondition(try! engine.answerSubscription(participantID: opened.participantID, answer: answer, now: .now) == nil)
    let prepared: RelayEngine.PreparedJoin
    do {
        prepared = try RelayEngine.prepare(
            FixedPublisher.request(offer: offer), configuration: engine.configuration,
            fingerprint: engine.certificate.fingerprint, continuing: published.continuation)
    } catch {
        return trace("prepare: \(error)")
    }
    precondition(parses(prepared.answer), "the relay's answer to a renegotiation does not parse")
    let result: RelayEngine.JoinResult
    do {
        result = try engine.renegotiate(participantID: published.participantID, with: prepared, now: .now)
    } catch {
        return trace("renegotiate: \(error)")
    }
    trace("renegotiated: \(engine.publishedSources(participantID: published.participantID)), ufrag \(engine.iceUfrag(participantID: published.participantID) == published.continuation.localUfrag ? "kept" : "restarted")")
    precondition(result.answer == prepared.answer)
    let sources = engine.publishedSources(participantID: published.participantID)
    precondition(sources.count <= engine.configuration.limits.mediaSectionsPerOffer)
    // The subscribe connection is offered what the publisher now sends.
    if let offer = engine.refreshSubscription(participantID: opened.participantID, now: .now) {
        trace("re-offered \(offer.tracks.count) tracks")
        precondition(parses(offer.sdp), "the relay's subscribe offer after a renegotiation does not parse")
    }
}

func parses(_ text: String) -> Bool { (try? SessionDescription(parsing: text)) != nil }

/// The engine keeps what nobody polls: events, and timer entries of participants who left.
func drain() {
    while engine.pollEvent() != nil {}
    while engine.pollRoomEvent() != nil {}
    var output = CollectingOutput()
    engine.handleTimeout(now: .now + .seconds(86_400), output: &output)
    precondition(engine.pollTimeout() == nil)
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
