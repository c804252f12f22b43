/// The room socket's subscribe connection: the relay offers one m-section per track of everyone else in
/// the room and offers again whenever that set changes; the client only answers, so there is no glare.
extension RelayEngine {
    public struct SubscriptionRequest: Sendable {
        public var roomID: String
        public var userID: String
        public var role: ParticipantIdentity.Role
        public var roomCapacity: Int?
        public var tokenID: String?

        public init(
            roomID: String, userID: String, role: ParticipantIdentity.Role, roomCapacity: Int? = nil,
            tokenID: String? = nil
        ) {
            self.roomID = roomID
            self.userID = userID
            self.role = role
            self.roomCapacity = roomCapacity
            self.tokenID = tokenID
        }
    }

    /// Opens a subscribe connection. Returns its participant id and the first offer, or nil while nobody
    /// else publishes (`refreshSubscription` offers as soon as someone does).
    public func openSubscription(_ request: SubscriptionRequest, now: ContinuousClock.Instant) throws(RelayError)
        -> (participantID: String, offer: SubscriptionOffer?)
    {
        let room = try router.admit(
            roomID: request.roomID, userID: request.userID, tokenID: request.tokenID,
            capacity: request.roomCapacity ?? configuration.defaultRoomCapacity)
        let local = LocalTransportDescription(
            ufrag: Self.randomToken(length: 8, using: &random), password: Self.randomToken(length: 24, using: &random),
            fingerprint: certificate.fingerprint,
            candidates: configuration.announcedAddresses.map { ($0, configuration.port) })
        let state = NegotiationState(
            local: local, cname: Self.randomToken(length: 16, using: &random),
            sessionID: UInt64.random(in: 1...(1 << 62), using: &random))
        let participant = Participant(
            identity: ParticipantIdentity(
                participantID: configuration.participantIDPrefix + Self.randomToken(length: 20, using: &random),
                roomID: request.roomID,
                userID: request.userID, role: request.role),
            tokenID: request.tokenID, transport: makeTransport(state: state, remoteUfrag: nil), negotiation: state,
            relaySSRC: Self.randomSSRC(using: &random), now: now)
        participant.connectingSince = nil
        participant.subscription = SubscriptionPlan()
        // Checks reach it only once the answer says who the client is (`listening` then).
        _ = router.add(participant, to: room, listening: false)
        schedule(participant)
        return (participant.identity.participantID, refreshSubscription(participantID: participant.identity.participantID, now: now))
    }

    /// Brings the subscribe connection's slots in line with the room's producers. Returns a new offer
    /// when what the client receives changed and no earlier offer is still unanswered.
    public func refreshSubscription(participantID: String, now: ContinuousClock.Instant) -> SubscriptionOffer? {
        guard let participant = router.participant(id: participantID),
            var plan = participant.subscription,
            let room = router.room(id: participant.identity.roomID)
        else { return nil }
        // A simulcast track is offered once: its first layer stands for it.
        let wanted = room.producers.filter {
            $0.publisher.identity.userID != participant.identity.userID && $0.layerIndex == 0
        }
        for slot in plan.slots {
            if let source = slot.consumer.source, !wanted.contains(where: { $0 === source }) { slot.consumer.detach() }
        }
        for producer in wanted where !plan.slots.contains(where: { $0.consumer.source === producer }) {
            if let free = plan.slots.firstIndex(where: {
                $0.accepted && $0.consumer.source == nil && $0.consumer.kind == producer.kind
            }) {
                plan.slots[free].consumer.attach(to: producer)
            } else if plan.slots.count < configuration.limits.mediaSectionsPerSubscription {
                var media = NegotiatedMedia(
                    mid: String(plan.slots.count), kind: producer.kind, flow: .subscribe,
                    payloadType: SubscriptionOfferWriter.codec(for: producer.kind).payloadType,
                    clockRate: producer.media.clockRate, remoteSSRC: nil,
                    localSSRC: Self.randomSSRC(using: &random), acceptsNack: producer.kind == .video)
                if producer.kind == .video {
                    media.rtxPayloadType = SubscriptionOfferWriter.rtx.payloadType
                    media.rtxSSRC = Self.randomSSRC(using: &random)
                }
                let consumer = makeConsumer(media, for: participant, binding: .assigned)
                participant.consumers.append(consumer)
                consumer.attach(to: producer)
                plan.slots.append(.init(mid: media.mid, consumer: consumer))
            }
        }
        defer { participant.subscription = plan }
        guard !plan.awaitingAnswer, plan.isStale || plan.restarting || (!plan.answered && !plan.slots.isEmpty)
        else { return nil }
        plan.awaitingAnswer = true
        if !plan.answered, participant.connectingSince == nil {
            // A first offer the client never answers ends the connection at the connect timeout, as a join
            // nobody connects does (waiting for a publisher to offer does not count).
            participant.connectingSince = now
            schedule(participant)
        }
        var tracks: [SubscribedTrack] = []
        let slots = plan.slots.indices.map { index -> SubscriptionOfferWriter.Slot in
            let consumer = plan.slots[index].consumer
            plan.slots[index].offered = consumer.source.map(ObjectIdentifier.init)
            var stream: (id: String, track: String)?
            if let source = consumer.source {
                let user = source.publisher.identity.userID
                stream = (source.source == .screen ? "\(user)-screen" : user, "\(source.source.rawValue)-\(consumer.media.localSSRC)")
                tracks.append(
                    SubscribedTrack(mid: plan.slots[index].mid, kind: consumer.kind, userID: user, source: source.source))
            }
            return .init(
                mid: plan.slots[index].mid, kind: consumer.kind, localSSRC: consumer.media.localSSRC,
                rtxSSRC: consumer.offeredRTXSSRC, stream: stream)
        }
        let sdp = SubscriptionOfferWriter.write(
            slots, state: participant.negotiation, version: participant.negotiation.nextVersion())
        return SubscriptionOffer(participantID: participantID, sdp: sdp, tracks: tracks)
    }

    /// Applies the client's answer to the latest offer. The first answer starts ICE and DTLS; later ones
    /// may not change the client's fingerprint. Returns the next offer when the room changed meanwhile.
    public func answerSubscription(
        participantID: String, answer: SubscriptionAnswer, now: ContinuousClock.Instant
    ) throws(RelayError) -> SubscriptionOffer? {
        guard let participant = router.participant(id: participantID),
            var plan = participant.subscription
        else { throw .unknownParticipant }
        guard plan.awaitingAnswer else { throw .invalidOffer("there is no offer to answer") }
        guard answer.sections.count == plan.slots.count,
            zip(answer.sections, plan.slots).allSatisfy({ $0.mid == $1.mid })
        else { throw .invalidOffer("the answer's m-sections do not match the offer's") }
        if plan.answered {
            guard participant.negotiation.remoteFingerprint == answer.fingerprint.sdpValue else {
                throw .invalidOffer("a renegotiation may not change the DTLS fingerprint")
            }
            if plan.restarting || answer.ufrag != participant.negotiation.remoteUfrag {
                participant.transport.setRemoteUfrag(answer.ufrag)
                participant.negotiation.remoteUfrag = answer.ufrag
                plan.restarting = false
            }
        } else {
            try participant.transport.startDTLS(
                certificate: certificate, remoteFingerprint: answer.fingerprint,
                handshakeTimeout: configuration.connectTimeout)
            participant.transport.setRemoteUfrag(answer.ufrag)
            participant.negotiation.remoteUfrag = answer.ufrag
            participant.negotiation.remoteFingerprint = answer.fingerprint.sdpValue
            router.listen(participant)
            participant.connectingSince = now
            plan.answered = true
        }
        plan.awaitingAnswer = false
        for (index, section) in answer.sections.enumerated() {
            plan.slots[index].accepted = section.accepted
            let consumer = plan.slots[index].consumer
            var media = consumer.media
            media.acceptsNack = section.acceptsNack
            media.rtxSSRC = section.acceptsRTX ? consumer.offeredRTXSSRC : nil
            media.rtxPayloadType = section.acceptsRTX ? SubscriptionOfferWriter.rtx.payloadType : nil
            media.extensions = section.extensions
            if consumer.kind == .audio {
                media.redPayloadType = section.acceptsRED ? SubscriptionOfferWriter.red.payloadType : nil
            }
            consumer.negotiated(media, limits: configuration.limits)
            if !section.accepted { consumer.detach() }
            // The client knows the slot's SSRC now, so a keyframe for it can be decoded.
            if let source = consumer.source { requestKeyframeSoon(source, now: now) }
        }
        participant.subscription = plan
        schedule(participant)
        return refreshSubscription(participantID: participantID, now: now)
    }
}
