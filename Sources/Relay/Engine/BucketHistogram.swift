/// A histogram of durations in fixed buckets: recording is one bucket search and two additions, with no
/// allocation, so workers keep these on their event loops (the batch delay, join times) and `/metrics`
/// sums them over workers and writes them in the Prometheus text format.
public struct BucketHistogram: Sendable, Equatable {
    /// Upper bounds in nanoseconds (Prometheus `le`), ascending; a last bucket holds everything above.
    public let bounds: [Int64]
    /// Per bucket (not cumulative).
    public private(set) var counts: [UInt64]
    public private(set) var sumNanoseconds: UInt64 = 0
    public var count: UInt64 { counts.reduce(0, &+) }

    public init(bounds: [Int64]) {
        self.bounds = bounds
        counts = [UInt64](repeating: 0, count: bounds.count + 1)
    }

    /// A negative value (a clock that went backwards) counts as zero.
    public mutating func record(nanoseconds: Int64) {
        let value = max(0, nanoseconds)
        var index = 0
        while index < bounds.count && value > bounds[index] { index += 1 }
        counts[index] &+= 1
        sumNanoseconds &+= UInt64(value)
    }

    /// Adds another worker's histogram of the same bounds.
    public mutating func add(_ other: BucketHistogram) {
        for index in counts.indices where index < other.counts.count { counts[index] &+= other.counts[index] }
        sumNanoseconds &+= other.sumNanoseconds
    }

    /// The bound of the bucket that holds quantile `q` (0...1): an upper estimate; nil when empty or beyond
    /// the largest bound.
    public func quantileUpperBound(_ q: Double) -> Int64? {
        let total = count
        guard total > 0 else { return nil }
        let rank = UInt64((Double(total) * min(max(q, 0), 1)).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucket) in counts.enumerated() {
            seen &+= bucket
            if seen >= max(rank, 1) { return index < bounds.count ? bounds[index] : nil }
        }
        return nil
    }
}
