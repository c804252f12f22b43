/// Extends wrapping counters (16-bit transport sequence numbers, 24-bit feedback reference times)
/// to Int64 by taking the nearest value to the last one seen, so reordering within half the range
/// moves backwards instead of jumping a whole wrap forwards.
struct WrappingCounterUnwrapper: Sendable {
    /// Number of bits in the wrapped counter (16 or 24; at most 62).
    let bits: Int
    private(set) var last: Int64?

    init(bits: Int) {
        self.bits = min(max(bits, 1), 62)
    }

    /// The unwrapped value nearest to the last one, without remembering it.
    func peek(_ raw: UInt64) -> Int64 {
        let modulus = Int64(1) << bits
        let mask = modulus - 1
        let value = Int64(raw & UInt64(mask))
        guard let last else { return value }
        // Signed distance from `last`'s residue to `value`, in [-modulus/2, modulus/2).
        var distance = (value - (last & mask)) & mask
        if distance >= modulus / 2 { distance -= modulus }
        return last.saturatingAdd(distance)
    }

    /// Unwraps `raw` and remembers it when it is the newest value so far.
    mutating func unwrap(_ raw: UInt64) -> Int64 {
        let value = peek(raw)
        if let last, value <= last { return value }
        last = value
        return value
    }
}
