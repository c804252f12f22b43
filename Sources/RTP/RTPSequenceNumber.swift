/// Wraparound-aware arithmetic on 16-bit RTP sequence numbers.
///
/// Sequence numbers wrap every 65536 packets (a few minutes of video), so "newer" means "ahead by
/// less than half the number space", as in RFC 3550 Appendix A.1 and RFC 1982 serial arithmetic.
public enum RTPSequenceNumber {
    /// Signed steps from `a` forward to `b`, in -32768...32767: positive when `b` is newer.
    /// A gap of exactly 32768 is ambiguous and reported as -32768.
    @inlinable
    public static func distance(from a: UInt16, to b: UInt16) -> Int {
        Int(Int16(bitPattern: b &- a))
    }

    /// True when `a` follows `b` by less than half the sequence space.
    @inlinable
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        distance(from: b, to: a) > 0
    }
}
