/// How long joins take on the relay, in fixed buckets (no allocation when recording): from the join call
/// (the signaling request reaching the engine) to DTLS completing, and to the first media packet forwarded
/// to or received from the participant. Summed over workers like the other counters; `/metrics` exports
/// both as Prometheus histograms.
public struct JoinTimes: Sendable, Equatable {
    /// Upper bounds in nanoseconds (Prometheus `le`), then +Inf: 10 ms to 10 s.
    public static let bounds: [Int64] = [
        10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000, 1_000_000_000,
        2_500_000_000, 5_000_000_000, 10_000_000_000,
    ]
    /// Per bucket (not cumulative), the last for everything above the largest bound.
    public private(set) var connected = [UInt64](repeating: 0, count: bounds.count + 1)
    public private(set) var firstMedia = [UInt64](repeating: 0, count: bounds.count + 1)
    public private(set) var connectedSumNanoseconds: UInt64 = 0
    public private(set) var firstMediaSumNanoseconds: UInt64 = 0

    public init() {}

    mutating func recordConnected(after elapsed: Duration) {
        let nanoseconds = Self.nanoseconds(elapsed)
        connected[Self.bucket(nanoseconds)] &+= 1
        connectedSumNanoseconds &+= UInt64(nanoseconds)
    }

    mutating func recordFirstMedia(after elapsed: Duration) {
        let nanoseconds = Self.nanoseconds(elapsed)
        firstMedia[Self.bucket(nanoseconds)] &+= 1
        firstMediaSumNanoseconds &+= UInt64(nanoseconds)
    }

    mutating func add(_ other: JoinTimes) {
        for index in connected.indices {
            connected[index] &+= other.connected[index]
            firstMedia[index] &+= other.firstMedia[index]
        }
        connectedSumNanoseconds &+= other.connectedSumNanoseconds
        firstMediaSumNanoseconds &+= other.firstMediaSumNanoseconds
    }

    /// Clamped to 0...1 h: a join is never longer, and the sums must not overflow.
    private static func nanoseconds(_ elapsed: Duration) -> Int64 {
        let (seconds, attoseconds) = elapsed.components
        guard seconds >= 0 else { return 0 }
        guard seconds < 3_600 else { return 3_600_000_000_000 }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private static func bucket(_ nanoseconds: Int64) -> Int {
        bounds.firstIndex { nanoseconds <= $0 } ?? bounds.count
    }
}
