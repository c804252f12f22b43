import RTCP

/// Builds real transport-wide feedback bytes with the RTCP module's encoder and hands the parsed view
/// to `body`, as the engine would after receiving them.
func withFeedback<R>(
    _ arrivals: [TransportWideFeedback.Arrival], referenceTime: Int32? = nil, count: UInt8 = 0,
    _ body: (TransportWideFeedback) throws -> R
) throws -> R {
    let bytes = try TransportWideFeedback.build(
        senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: count, arrivals: arrivals, referenceTime: referenceTime)
    return try bytes.withUnsafeBytes { buffer in
        try body(try TransportWideFeedback(parsing: buffer))
    }
}

/// A small deterministic generator (SplitMix64), so simulated loss is repeatable.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

let ms: Int64 = 1_000_000
let second: Int64 = 1_000_000_000
