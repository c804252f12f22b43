/// Extends 16-bit RTP sequence numbers to 64 bits by counting wraparounds (RFC 3550 A.1's
/// `cycles`), so loss, reordering and SRTP packet indices can use plain integer arithmetic.
///
/// Each input is placed at the value nearest the highest one seen so far, so reordered packets
/// from just before a wrap unwrap to the previous cycle. Only newer packets advance the reference.
/// A packet that precedes the very first one seen across a wrap yields a negative value.
public struct SequenceNumberUnwrapper: Sendable, Equatable, Hashable {
    /// The highest extended sequence number returned so far; nil before the first packet.
    public private(set) var highest: Int64?

    public init() {}

    public mutating func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        guard let highest else {
            highest = Int64(sequenceNumber)
            return Int64(sequenceNumber)
        }
        let step = RTPSequenceNumber.distance(from: UInt16(truncatingIfNeeded: highest), to: sequenceNumber)
        let extended = highest + Int64(step)
        if extended > highest { self.highest = extended }
        return extended
    }
}
