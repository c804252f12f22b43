import Relay
import Synchronization
import Tracing

/// Joins as traces: `relay.join` from the join call to the first media packet, with `relay.join.ice`,
/// `relay.join.dtls` and `relay.join.first_media` under it, all under the signaling request's span (the WHIP or
/// WHEP POST). The engine only notes instants (`JoinTimeline`); the spans are made here once the join is
/// complete, with explicit times, so nothing on the media path traces. Idle while the tracer is the no-op one.
final class JoinTracer: Sendable {
    private struct Key: Hashable {
        let room: String
        let participant: String
    }

    /// The signaling contexts of joins not yet at their first media; removed at completion or departure.
    private let pending = Mutex<[Key: ServiceContext]>([:])
    /// Joins that never get media and never leave cannot happen (the connect deadline removes them), but the
    /// table is bounded anyway.
    static let maximumPending = 65_536

    private var enabled: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// A join was admitted on behalf of the current task's request.
    func began(roomID: String, participantID: String) {
        guard enabled else { return }
        let context = ServiceContext.current ?? .topLevel
        pending.withLock { table in
            guard table.count < Self.maximumPending else { return }
            table[Key(room: roomID, participant: participantID)] = context
        }
    }

    /// The participant left before its first media packet.
    func ended(_ identity: ParticipantIdentity) {
        pending.withLock { _ = $0.removeValue(forKey: Key(room: identity.roomID, participant: identity.participantID)) }
    }

    func completed(_ timeline: JoinTimeline, now: ContinuousClock.Instant = .now) {
        let key = Key(room: timeline.identity.roomID, participant: timeline.identity.participantID)
        guard let context = pending.withLock({ $0.removeValue(forKey: key) }) else { return }
        let wallNow = DefaultTracerClock.now.nanosecondsSinceEpoch
        func wall(_ instant: ContinuousClock.Instant) -> DefaultTracerClock.Instant {
            let (seconds, attoseconds) = max(.zero, now - instant).components
            let ago = seconds >= 3_600 ? 3_600_000_000_000 : UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
            return .init(nanosecondsSinceEpoch: wallNow - min(ago, wallNow))
        }
        let join = startSpan("relay.join", at: wall(timeline.joined), context: context, ofKind: .server)
        join.attributes["peerlearn.room.id"] = timeline.identity.roomID
        join.attributes["peerlearn.participant.id"] = timeline.identity.participantID
        join.attributes["peerlearn.user.id"] = timeline.identity.userID
        join.attributes["peerlearn.role"] = timeline.identity.role.rawValue
        // Phases end in this order; DTLS may finish over a checked pair before ICE nominates, so a phase never
        // starts before the previous one ended.
        var phaseStart = timeline.joined
        for (name, end) in [
            ("relay.join.ice", timeline.iceNominated), ("relay.join.dtls", timeline.connected),
            ("relay.join.first_media", timeline.firstMedia),
        ] {
            guard let end else { continue }
            let phaseEnd = max(end, phaseStart)
            let phase = startSpan(name, at: wall(phaseStart), context: join.context)
            phase.end(at: wall(phaseEnd))
            phaseStart = phaseEnd
        }
        join.end(at: wall(max(timeline.firstMedia, phaseStart)))
    }
}
