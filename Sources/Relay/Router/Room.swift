/// The participants of one meeting room and who receives whose tracks. A room lives on one engine, so
/// all of its forwarding stays on one thread.
final class Room {
    let id: String
    private(set) var participants: [Participant] = []
    /// Who is speaking, from the RFC 6464 levels of everyone's microphone, keyed by user id.
    var speakers = ActiveSpeakerDetector<String>()

    init(id: String) {
        self.id = id
    }

    var isEmpty: Bool { participants.isEmpty }

    /// Adds a participant; returns the video producers that gained a consumer and so need a keyframe.
    func add(_ newcomer: Participant) -> [Producer] {
        participants.append(newcomer)
        newcomer.room = self
        return bindWatchers()
    }

    func remove(_ leaving: Participant) -> [Producer] {
        participants.removeAll { $0 === leaving }
        let userID = leaving.identity.userID
        if leaving.producers.contains(where: { $0.kind == .audio }),
            !participants.contains(where: { $0.identity.userID == userID && $0.producers.contains { $0.kind == .audio } })
        {
            speakers.remove(speaker: userID)
        }
        for producer in leaving.producers { producer.close() }
        for consumer in leaving.consumers { consumer.detach() }
        // A replacement publisher (the host reconnecting) picks up the orphaned consumers.
        return bindWatchers()
    }

    /// Every producer in the room, oldest publisher first.
    var producers: [Producer] { participants.flatMap(\.producers) }

    /// A publisher added tracks: consumers waiting for a track of theirs can take it.
    func producersChanged() -> [Producer] {
        bindWatchers()
    }

    /// Attaches unbound WHEP consumers to the newest matching producer: the watched user's (or the
    /// host's) first track of the consumer's kind.
    private func bindWatchers() -> [Producer] {
        var needKeyframes: [Producer] = []
        for participant in participants {
            for consumer in participant.consumers where consumer.source == nil {
                guard case .watching(let userID) = consumer.binding else { continue }
                if let producer = source(watching: userID, kind: consumer.kind, for: participant) {
                    consumer.attach(to: producer)
                    if producer.kind == .video { needKeyframes.append(producer) }
                }
            }
        }
        return needKeyframes
    }

    private func source(watching userID: String?, kind: NegotiatedMedia.Kind, for subscriber: Participant) -> Producer? {
        for publisher in participants.reversed() where publisher !== subscriber {
            let matches = userID.map { publisher.identity.userID == $0 } ?? (publisher.identity.role == .host)
            guard matches else { continue }
            if let producer = publisher.producers.first(where: { $0.kind == kind }) { return producer }
        }
        return nil
    }
}
