/// Decides which NACKed packets a subscriber leg gets again (RFC 4585 §6.2.1).
///
/// A NACK is tiny and a retransmission is a full packet: one 1,500-byte generic NACK names thousands of
/// sequence numbers, so answering blindly turns one subscriber datagram into thousands of sends. Each
/// lost packet is resent at most once per window (a repeated NACK inside roughly one round trip is the
/// same loss reported again), and the leg's retransmissions are paid from a budget earned as a share of
/// the media actually sent on it, capped at a small burst: a leg can recover real loss, never amplify.
///
/// Two arrays per video leg, as long as the leg's `SentPacketIndex` (grown with it); deciding never allocates.
struct NackResponder {
    enum Verdict: Equatable {
        case resend
        /// Resent less than a window ago.
        case duplicate
        /// The leg's retransmission budget is spent.
        case overBudget
    }

    private var resentSequence: [UInt16]
    /// When each slot's sequence number was last resent, in nanoseconds on the engine's clock; 0 is never.
    private var resentAt: [Int64]
    private var mask: Int
    private let share: Double
    private let burst: Double
    private var tokens: Double
    private var earnedFrom: UInt64 = 0

    init(capacity: Int, share: Double, burstBytes: Int) {
        var size = 1
        while size < capacity { size <<= 1 }
        resentSequence = Array(repeating: 0, count: size)
        resentAt = Array(repeating: 0, count: size)
        mask = size - 1
        self.share = max(0, share)
        burst = Double(max(0, burstBytes))
        tokens = burst
    }

    var capacity: Int { mask + 1 }

    /// Re-homes what was resent into a ring of at least `capacity` slots.
    mutating func grow(to capacity: Int) {
        guard capacity > self.capacity else { return }
        var size = self.capacity
        while size < capacity && size < 1 << 16 { size <<= 1 }
        var sequences = [UInt16](repeating: 0, count: size)
        var times = [Int64](repeating: 0, count: size)
        for slot in resentAt.indices where resentAt[slot] != 0 {
            let target = Int(resentSequence[slot]) & (size - 1)
            sequences[target] = resentSequence[slot]
            times[target] = resentAt[slot]
        }
        resentSequence = sequences
        resentAt = times
        mask = size - 1
    }

    /// `mediaBytesSent` is the leg's running total of first transmissions; the budget grows by `share`
    /// of whatever was sent since the last call, up to the burst.
    mutating func admit(
        sequenceNumber: UInt16, bytes: Int, now: Int64, window: Int64, mediaBytesSent: UInt64
    ) -> Verdict {
        let slot = Int(sequenceNumber) & mask
        if resentAt[slot] != 0, resentSequence[slot] == sequenceNumber, now &- resentAt[slot] < window {
            return .duplicate
        }
        if mediaBytesSent > earnedFrom {
            tokens = min(burst, tokens + share * Double(mediaBytesSent - earnedFrom))
            earnedFrom = mediaBytesSent
        }
        let cost = Double(bytes)
        guard tokens >= cost else { return .overBudget }
        tokens -= cost
        resentSequence[slot] = sequenceNumber
        resentAt[slot] = max(1, now)
        return .resend
    }
}
