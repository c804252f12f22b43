/// ICE restarts (RFC 8445 §9): a peer that changed networks (Wi-Fi to cellular) gets new ICE credentials
/// on the same connection, keeping its DTLS, SRTP, producers and consumers, and so its place in the room.
extension RelayEngine {
    /// The relay's new ICE credentials for a connection the peer offered (WHIP/WHEP PATCH, RFC 9725 §4.3).
    public struct ICECredentials: Sendable, Equatable {
        public var ufrag: String
        public var password: String
        /// The relay's host candidates, for the PATCH response's SDP fragment.
        public var candidates: [(address: String, port: UInt16)]

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.ufrag == rhs.ufrag && lhs.password == rhs.password
        }
    }

    /// Restarts ICE with the peer's new credentials. The same ufrag again is not a restart (a trickle
    /// PATCH): nil, nothing changes.
    public func restartICE(participantID: String, remoteUfrag: String, now: ContinuousClock.Instant) throws(RelayError)
        -> ICECredentials?
    {
        guard let participant = router.participant(id: participantID) else { throw .unknownParticipant }
        guard participant.subscription == nil else {
            throw .invalidOffer("the relay offers this connection: restart it with restartSubscriptionICE")
        }
        guard remoteUfrag != participant.negotiation.remoteUfrag else { return nil }
        renewLocalCredentials(of: participant, remoteUfrag: remoteUfrag)
        participant.negotiation.remoteUfrag = remoteUfrag
        schedule(participant)
        let local = participant.negotiation.local
        return ICECredentials(ufrag: local.ufrag, password: local.password, candidates: local.candidates)
    }

    /// Restarts ICE on a subscribe connection the relay offers: a new offer with new credentials (its
    /// answer brings the client's). Refused while an earlier offer waits for its answer.
    public func restartSubscriptionICE(participantID: String, now: ContinuousClock.Instant) throws(RelayError)
        -> SubscriptionOffer?
    {
        guard let participant = router.participant(id: participantID), let plan = participant.subscription else {
            throw .unknownParticipant
        }
        guard !plan.awaitingAnswer else { throw .invalidOffer("an offer is still waiting for its answer") }
        guard plan.answered else { return refreshSubscription(participantID: participantID, now: now) }
        renewLocalCredentials(of: participant, remoteUfrag: nil)
        participant.subscription?.restarting = true
        return refreshSubscription(participantID: participantID, now: now)
    }

    /// The relay's current ICE ufrag on a connection (the WHIP/WHEP entity tag).
    public func iceUfrag(participantID: String) -> String? {
        router.participant(id: participantID)?.transport.localUfrag
    }

    private func renewLocalCredentials(of participant: Participant, remoteUfrag: String?) {
        participant.negotiation.local.ufrag = Self.randomToken(length: 8, using: &random)
        participant.negotiation.local.password = Self.randomToken(length: 24, using: &random)
        router.restartICE(of: participant, agent: makeAgent(state: participant.negotiation, remoteUfrag: remoteUfrag))
    }
}
