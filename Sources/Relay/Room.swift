/// The participants of one meeting room and who watches whom. Rooms live on one engine, so all of a
/// room's forwarding stays on one thread.
final class Room {
    let id: String
    var participants: [Participant] = []

    init(id: String) {
        self.id = id
    }

    /// Attaches a newcomer's legs to the tracks it watches and its tracks to the legs waiting for them.
    func connect(_ newcomer: Participant) {
        for leg in newcomer.legs where leg.source == nil {
            if let track = source(for: leg) { attach(leg, to: track) }
        }
        guard !newcomer.published.isEmpty else { return }
        for other in participants where other !== newcomer {
            for leg in other.legs where leg.source == nil {
                if let track = source(for: leg) { attach(leg, to: track) }
            }
        }
    }

    func disconnect(_ leaving: Participant) {
        participants.removeAll { $0 === leaving }
        for track in leaving.published {
            for leg in track.legs {
                leg.source = nil
                leg.needsRestart = true
            }
            track.legs.removeAll()
        }
        for leg in leaving.legs {
            leg.source?.legs.removeAll { $0 === leg }
            leg.source = nil
        }
        // A replacement publisher (the host reconnecting) picks up the orphaned legs.
        for other in participants {
            for leg in other.legs where leg.source == nil {
                if let track = source(for: leg) { attach(leg, to: track) }
            }
        }
    }

    /// The newest matching track: the watched user's (or the host's) track of the leg's kind.
    private func source(for leg: DownstreamLeg) -> PublishedTrack? {
        let watching = leg.subscriber.watching
        for publisher in participants.reversed() where publisher !== leg.subscriber {
            let matches = watching.map { publisher.identity.userID == $0 } ?? (publisher.identity.role == .host)
            guard matches else { continue }
            if let track = publisher.published.first(where: { $0.media.kind == leg.media.kind }) { return track }
        }
        return nil
    }

    private func attach(_ leg: DownstreamLeg, to track: PublishedTrack) {
        leg.source = track
        leg.needsRestart = true
        track.legs.append(leg)
        if track.media.kind == .video { track.keyframeRequestPending = true }
    }
}
