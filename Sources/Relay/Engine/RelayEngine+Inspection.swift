/// What is in a room right now, for operators, the load tester's per-viewer figures and tests: each
/// connection's identity, what it publishes and its live statistics (the bandwidth estimate included).
extension RelayEngine {
    public struct ConnectionView: Sendable, Equatable {
        public var identity: ParticipantIdentity
        public var publishes: [TrackSource]
        public var statistics: ParticipantStatistics
    }

    /// The room's connections on this worker, in no particular order; empty for a room it does not hold.
    public func connections(inRoom roomID: String, now: ContinuousClock.Instant) -> [ConnectionView] {
        guard let room = router.room(id: roomID) else { return [] }
        return room.participants.map {
            ConnectionView(identity: $0.identity, publishes: $0.producers.map(\.source), statistics: $0.snapshot(now: now))
        }
    }
}
