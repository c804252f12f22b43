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

/// The spread of the bandwidth estimates the relay holds for its subscribers' downlinks right now, for
/// `/metrics`: how many legs sit at or under each bound. A current distribution (it goes up and down), so
/// `/metrics` exposes it as gauges with `le` labels, which `histogram_quantile` reads as it reads a histogram.
public struct EstimateDistribution: Sendable, Equatable {
    /// Upper bounds in bits per second, then +Inf.
    public static let bounds: [UInt64] = [150_000, 300_000, 500_000, 1_000_000, 1_500_000, 2_500_000, 5_000_000, 10_000_000]
    /// Per bucket (not cumulative), the last for everything above the largest bound.
    public private(set) var legs = [UInt64](repeating: 0, count: bounds.count + 1)

    public init() {}

    mutating func add(bitsPerSecond: UInt64) {
        legs[Self.bounds.firstIndex { bitsPerSecond <= $0 } ?? Self.bounds.count] &+= 1
    }

    public mutating func add(_ other: EstimateDistribution) {
        for index in legs.indices { legs[index] &+= other.legs[index] }
    }
}

extension RelayEngine {
    /// The current estimates of the legs that have one (transport-cc or REMB feedback), cascade pipes aside.
    public var estimateDistribution: EstimateDistribution {
        var distribution = EstimateDistribution()
        for participant in router.participants.values where !participant.isRelayed {
            if let estimate = participant.distributedEstimate { distribution.add(bitsPerSecond: estimate.bitrate) }
        }
        return distribution
    }
}

/// The loss subscribers report in their RTCP receiver reports (RFC 3550 fraction lost, over the last report
/// interval), for `/metrics`: how many legs, or rooms by their worst leg, sit at or under each bound now. A
/// current distribution like `EstimateDistribution`. Per-room quality with a bounded label set: "3 rooms have a
/// learner losing over 5%" needs no room ids in label values.
public struct LossDistribution: Sendable, Equatable {
    /// Upper bounds as loss ratios, then +Inf.
    public static let bounds: [Double] = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    /// The same bounds in the report's 1/256 units: the largest fraction at or under each ratio.
    static let fractionBounds: [UInt8] = [0, 2, 5, 12, 25, 51, 128]
    /// Per bucket (not cumulative), the last for everything above the largest bound.
    public private(set) var counts = [UInt64](repeating: 0, count: bounds.count + 1)

    public init() {}

    public mutating func add(fractionLost: UInt8) {
        counts[Self.fractionBounds.firstIndex { fractionLost <= $0 } ?? Self.fractionBounds.count] &+= 1
    }

    public mutating func add(_ other: LossDistribution) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
    }
}

extension RelayEngine {
    /// Each subscriber leg's loss (the worst any of its tracks' receiver reports gives; legs that never
    /// reported are left out) and each room's worst leg, cascade pipes aside. Read at scrape time.
    public var reportedLoss: (legs: LossDistribution, worstByRoom: [String: UInt8]) {
        var legs = LossDistribution()
        var worst: [String: UInt8] = [:]
        for participant in router.participants.values where !participant.isRelayed {
            var leg: UInt8?
            for consumer in participant.consumers where consumer.hasReport {
                leg = max(leg ?? 0, consumer.reportedFractionLost)
            }
            guard let leg else { continue }
            legs.add(fractionLost: leg)
            worst[participant.identity.roomID] = max(worst[participant.identity.roomID] ?? 0, leg)
        }
        return (legs, worst)
    }
}
