import DTLS
import ICE
import SDP

/// Joining with an offer (WHIP, WHEP, the room socket's publish connection) and renegotiating it.
extension RelayEngine {
    public struct JoinRequest: Sendable {
        public enum Intent: Sendable, Equatable {
            case publish
            /// Watch a user's tracks; nil watches the room's host.
            case subscribe(userID: String?)
        }

        public var roomID: String
        public var userID: String
        public var role: ParticipantIdentity.Role
        public var intent: Intent
        public var offer: String
        /// The room's capacity from the token; nil uses the configured default.
        public var roomCapacity: Int?
        /// The room token's id (`jti`): connections made with one token are bounded.
        public var tokenID: String?
        /// What each published m-section shows, by mid; by default audio is the microphone, the first
        /// video the camera and a second one a screen share.
        public var sources: [String: TrackSource]
        /// One end of a cascade pipe (a relay pulling or re-publishing a room's tracks), not a person: it
        /// reports no attendance or statistics, and the room's and the user's connection caps do not count it
        /// (the worker's participant cap still does).
        public var relayed: Bool

        public init(
            roomID: String, userID: String, role: ParticipantIdentity.Role, intent: Intent, offer: String,
            roomCapacity: Int? = nil, tokenID: String? = nil, sources: [String: TrackSource] = [:], relayed: Bool = false
        ) {
            self.roomID = roomID
            self.userID = userID
            self.role = role
            self.intent = intent
            self.offer = offer
            self.roomCapacity = roomCapacity
            self.tokenID = tokenID
            self.sources = sources
            self.relayed = relayed
        }
    }

    /// What a later offer on the same connection must continue: the relay's ICE credentials and SDP
    /// origin, and the peer's ufrag (a new one is an ICE restart).
    public struct SessionContinuation: Sendable, Equatable {
        let ufrag: String
        let password: String
        let cname: String
        let sessionID: UInt64
        let version: UInt64
        let remoteUfrag: String

        /// The relay's ICE ufrag on this connection: WHIP/WHEP use it as the resource's entity tag.
        public var localUfrag: String { ufrag }
    }

    public struct JoinResult: Sendable {
        public var participantID: String
        public var answer: String
        /// Pass to `prepare(_:configuration:fingerprint:continuing:)` to renegotiate this connection.
        public var continuation: SessionContinuation
    }

    /// An offer parsed and answered away from the media event loop: a hostile 64 KB offer costs the
    /// signaling thread, never every room on the worker.
    public struct PreparedJoin: Sendable {
        let request: JoinRequest
        let state: NegotiationState
        let remoteUfrag: String
        let remoteFingerprint: DTLSFingerprint
        let media: [NegotiatedMedia]
        let continuation: SessionContinuation
        public let answer: String
    }

    /// Parses and negotiates an offer. Pure: call it on any thread, then `join(_:now:)` (or
    /// `renegotiate(participantID:with:now:)` with a continuation) on the engine's.
    public static func prepare(
        _ request: JoinRequest, configuration: RelayConfiguration, fingerprint: DTLSFingerprint,
        continuing previous: SessionContinuation? = nil
    ) throws(RelayError) -> PreparedJoin {
        let limit = configuration.limits.mediaSectionsPerOffer
        // Counted on the raw text first, so an offer of thousands of m-lines is refused before parsing.
        let sections = mediaLineCount(request.offer)
        guard sections <= limit else {
            throw .invalidOffer("the offer has \(sections) m-lines; the relay accepts at most \(limit)")
        }
        let offer: SessionDescription
        do {
            offer = try SessionDescription(parsing: request.offer)
        } catch {
            throw .invalidOffer("SDP: \(error)")
        }
        var random = SystemRandomNumberGenerator()
        // RFC 8839 §4.4.1.1.1: a new remote ufrag is an ICE restart, and the answer restarts too.
        let offeredUfrag = offer.media.lazy.compactMap { offer.iceUfrag(of: $0) }.first
        let restart = previous.map { offeredUfrag != $0.remoteUfrag } ?? true
        let local = LocalTransportDescription(
            ufrag: restart ? randomToken(length: 8, using: &random) : previous?.ufrag ?? "",
            password: restart ? randomToken(length: 24, using: &random) : previous?.password ?? "",
            fingerprint: fingerprint, candidates: configuration.announcedAddresses.map { ($0, configuration.port) })
        var state = NegotiationState(
            local: local, cname: previous?.cname ?? randomToken(length: 16, using: &random),
            sessionID: previous?.sessionID ?? UInt64.random(in: 1...(1 << 62), using: &random))
        var negotiator = OfferNegotiator(
            local: local, cname: state.cname, sessionID: state.sessionID,
            makeSSRC: { var random = SystemRandomNumberGenerator(); return randomSSRC(using: &random) })
        negotiator.sessionVersion = (previous?.version ?? 1) + (previous == nil ? 0 : 1)
        negotiator.maximumMediaSections = limit
        negotiator.publisherTransportCC = configuration.transportFeedbackToPublishers
        let result = try negotiator.negotiate(offer, intent: request.intent == .publish ? .publish : .subscribe)
        state.remoteUfrag = result.remoteUfrag
        state.remoteFingerprint = result.remoteFingerprint.sdpValue
        return PreparedJoin(
            request: request, state: state, remoteUfrag: result.remoteUfrag,
            remoteFingerprint: result.remoteFingerprint, media: result.media,
            continuation: SessionContinuation(
                ufrag: local.ufrag, password: local.password, cname: state.cname, sessionID: state.sessionID,
                version: negotiator.sessionVersion, remoteUfrag: result.remoteUfrag),
            answer: result.answer.serialized())
    }

    /// Negotiates a participant's offer and adds them to the room; media flows once ICE and DTLS
    /// complete on the UDP port.
    public func join(_ request: JoinRequest, now: ContinuousClock.Instant) throws(RelayError) -> JoinResult {
        try join(Self.prepare(request, configuration: configuration, fingerprint: certificate.fingerprint), now: now)
    }

    /// Adds a participant whose offer `prepare` answered, after the room's and the relay's limits.
    public func join(_ prepared: PreparedJoin, now: ContinuousClock.Instant) throws(RelayError) -> JoinResult {
        let request = prepared.request
        let room = try router.admit(
            roomID: request.roomID, userID: request.userID, tokenID: request.tokenID,
            capacity: request.roomCapacity ?? configuration.defaultRoomCapacity, relayed: request.relayed)
        let transport = makeTransport(state: prepared.state, remoteUfrag: prepared.remoteUfrag)
        try transport.startDTLS(
            certificate: certificate, remoteFingerprint: prepared.remoteFingerprint,
            handshakeTimeout: configuration.connectTimeout)
        let participant = Participant(
            identity: ParticipantIdentity(
                participantID: configuration.participantIDPrefix + Self.randomToken(length: 20, using: &random),
                roomID: request.roomID,
                userID: request.userID, role: request.role),
            tokenID: request.tokenID, transport: transport, negotiation: prepared.state,
            relaySSRC: Self.randomSSRC(using: &random), now: now)
        participant.isRelayed = request.relayed
        var binding = Consumer.Binding.watching(userID: nil)
        if case .subscribe(let userID) = request.intent { binding = .watching(userID: userID) }
        for media in prepared.media {
            switch media.flow {
            case .publish:
                participant.producers += makeProducers(media, of: participant, sources: request.sources, now: now)
            case .subscribe:
                participant.consumers.append(makeConsumer(media, for: participant, binding: binding))
            }
        }
        // The joiner's own tracks wait for their keyframe until it connects (the request is kept pending).
        // Others' tracks bound to the joiner's consumers are asked for when the joiner connects: asked now,
        // the keyframe would come before the leg could carry it, and the request would hold the connect-time
        // one back by the whole throttle interval (a late joiner then waited ~600 ms for a picture).
        for producer in router.add(participant, to: room, listening: true)
        where producer.publisher === participant || !participant.consumers.contains(where: { $0.source === producer }) {
            requestKeyframeSoon(producer, now: now)
        }
        schedule(participant)
        return JoinResult(
            participantID: participant.identity.participantID, answer: prepared.answer,
            continuation: prepared.continuation)
    }

    /// A new offer on a connection (a screen share added or removed, or an ICE restart): producers
    /// follow the offer's m-sections by mid, the transport keeps its DTLS and SRTP.
    public func renegotiate(participantID: String, with prepared: PreparedJoin, now: ContinuousClock.Instant)
        throws(RelayError) -> JoinResult
    {
        guard let participant = router.participant(id: participantID),
            participant.identity.userID == prepared.request.userID,
            participant.identity.roomID == prepared.request.roomID
        else { throw .unknownParticipant }
        guard participant.negotiation.remoteFingerprint == prepared.state.remoteFingerprint else {
            throw .invalidOffer("a renegotiation may not change the DTLS fingerprint")
        }
        if prepared.state.local.ufrag != participant.transport.localUfrag {
            router.restartICE(of: participant, agent: makeAgent(state: prepared.state, remoteUfrag: prepared.remoteUfrag))
        }
        participant.negotiation = prepared.state
        let published = prepared.media.filter { $0.flow == .publish }
        for producer in participant.producers where !published.contains(where: { $0.mid == producer.media.mid }) {
            producer.close()
        }
        participant.producers.removeAll { producer in !published.contains { $0.mid == producer.media.mid } }
        for media in published where !participant.producers.contains(where: { $0.media.mid == media.mid }) {
            participant.producers += makeProducers(media, of: participant, sources: prepared.request.sources, now: now)
        }
        if let room = router.room(id: participant.identity.roomID) {
            for producer in room.producersChanged() { requestKeyframeSoon(producer, now: now) }
        }
        schedule(participant)
        return JoinResult(participantID: participantID, answer: prepared.answer, continuation: prepared.continuation)
    }

    /// The room's published tracks, for the signaling layer to announce.
    public func publishedSources(participantID: String) -> [TrackSource] {
        router.participant(id: participantID)?.producers.filter { $0.layerIndex == 0 }.map(\.source) ?? []
    }

    func makeAgent(state: NegotiationState, remoteUfrag: String?) -> ICELiteAgent {
        ICELiteAgent(
            configuration: ICELiteConfiguration(
                localUfrag: state.local.ufrag, localPassword: state.local.password, remoteUfrag: remoteUfrag,
                consentTimeout: configuration.consentTimeout, software: "PeerLearn Relay"))
    }

    func makeTransport(state: NegotiationState, remoteUfrag: String?) -> PeerTransport {
        PeerTransport(ice: makeAgent(state: state, remoteUfrag: remoteUfrag))
    }

    /// The producer of a published m-section; a simulcast section gets one per layer (the first stands
    /// for the track), all in the publisher's list so reports, NACKs and keyframe requests work per SSRC.
    private func makeProducers(
        _ media: NegotiatedMedia, of publisher: Participant, sources: [String: TrackSource], now: ContinuousClock.Instant
    ) -> [Producer] {
        let videos = publisher.producers.filter { $0.kind == .video && $0.layerIndex == 0 }.count
        let source = sources[media.mid]
            ?? (media.kind == .audio ? .microphone : videos == 0 ? .camera : .screen)
        guard !media.simulcastRIDs.isEmpty else { return [Producer(publisher: publisher, media: media, source: source)] }
        let track = SimulcastTrack(now: now, pausedAtStart: media.simulcastPaused)
        for (index, rid) in media.simulcastRIDs.enumerated() {
            let layer = Producer(publisher: publisher, media: media, source: source, rid: rid, layerIndex: index)
            layer.simulcast = track
            track.add(layer)
        }
        return track.layers
    }

    func makeConsumer(_ media: NegotiatedMedia, for subscriber: Participant, binding: Consumer.Binding) -> Consumer {
        Consumer(
            subscriber: subscriber, media: media, binding: binding,
            initialSequence: UInt16.random(in: 0...0x7FFF, using: &random),
            initialTimestamp: UInt32.random(in: 0...UInt32.max, using: &random), limits: configuration.limits)
    }

    /// `m=` lines in raw SDP text, without parsing it.
    static func mediaLineCount(_ text: String) -> Int {
        enum State { case lineStart, sawM, elsewhere }
        var count = 0
        var state = State.lineStart
        for byte in text.utf8 {
            switch (state, byte) {
            case (.sawM, UInt8(ascii: "=")): count += 1; state = .elsewhere
            case (_, UInt8(ascii: "\n")): state = .lineStart
            case (.lineStart, UInt8(ascii: "m")): state = .sawM
            default: state = .elsewhere
            }
        }
        return count
    }

    static func randomSSRC(using random: inout some RandomNumberGenerator) -> UInt32 {
        UInt32.random(in: 1...UInt32.max, using: &random)
    }

    private static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// ICE credentials need ≥ 24 bits (ufrag) and ≥ 128 bits (password) of randomness (RFC 8839 §5.4).
    static func randomToken(length: Int, using random: inout some RandomNumberGenerator) -> String {
        String(decoding: (0..<length).map { _ in tokenAlphabet[Int.random(in: 0..<tokenAlphabet.count, using: &random)] },
            as: UTF8.self)
    }
}
