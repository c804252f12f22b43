/// What is in a room right now, for operators, the load tester's per-viewer figures and tests: each
/// connection's identity, what it publishes and its live statistics (the bandwidth estimate included).
extension RelayEngine {
    public struct ConnectionView: Sendable, Equatable {
        public var identity: ParticipantIdentity
        public var publishes: [TrackSource]
        public var statistics: ParticipantStatistics
    }

    /// The room's connections on this worker, in no particular order; empty for a room it does not hold.
    /// Cascade pipes are not people and are left out.
    public func connections(inRoom roomID: String, now: ContinuousClock.Instant) -> [ConnectionView] {
        guard let room = router.room(id: roomID) else { return [] }
        return room.participants.filter { !$0.isRelayed }.map {
            ConnectionView(identity: $0.identity, publishes: $0.producers.map(\.source), statistics: $0.snapshot(now: now))
        }
    }

    /// How many connections a room has on this worker: people, and cascade pipes (where the fan-out of a
    /// room spread over workers or nodes decides, and where an idle pipe notices it serves nobody).
    public func occupancy(ofRoom roomID: String) -> (people: Int, pipes: Int) {
        guard let room = router.room(id: roomID) else { return (0, 0) }
        let pipes = room.participants.count { $0.isRelayed }
        return (room.participants.count - pipes, pipes)
    }
}
