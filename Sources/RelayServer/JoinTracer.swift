import Relay
import Synchronization
import Tracing

/// Joins as traces: `relay.join` from the join call to the first media packet, with `relay.join.ice`,
/// `relay.join.dtls` and `relay.join.first_media` under it, all under the signaling request's span (the WHIP or
/// WHEP POST, or the room socket's publish or subscribe). A join that ends before any media is traced too, up to
/// its end, with an error status naming why. The engine only notes instants (`JoinTimeline`); the spans are
/// made here once the join is over, with explicit times, so nothing on the media path traces. Idle while the
/// tracer is the no-op one.
final class JoinTracer: Sendable {
    private struct Key: Hashable {
        let room: String
        let participant: String
    }

    /// The signaling contexts of joins not yet over; each leaves at its timeline.
    private let pending = Mutex<[Key: ServiceContext]>([:])
    /// Every join ends in a timeline, so the table holds only joins in progress; bounded anyway.
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
        // Phases end in this order (a phase never starts before the previous one ended). A join without media
        // ends where it ended.
        let end = timeline.firstMedia ?? timeline.endedAt ?? timeline.joined
        var phaseStart = timeline.joined
        for (name, phaseEnd) in [
            ("relay.join.ice", timeline.iceChecked), ("relay.join.dtls", timeline.connected),
            ("relay.join.first_media", timeline.firstMedia),
        ] {
            guard let phaseEnd else { continue }
            let clamped = max(phaseEnd, phaseStart)
            let phase = startSpan(name, at: wall(phaseStart), context: join.context)
            phase.end(at: wall(clamped))
            phaseStart = clamped
        }
        if let reason = timeline.endReason {
            join.attributes["peerlearn.join.outcome"] = reason.rawValue
            join.setStatus(SpanStatus(code: .error, message: "ended before any media: \(reason.rawValue)"))
        } else {
            join.attributes["peerlearn.join.outcome"] = "media"
        }
        join.end(at: wall(max(end, phaseStart)))
    }
}
