/// One generic NACK FCI entry (RFC 4585 §6.2.1): a lost packet ID and a bitmask of the 16 packets
/// that follow it, bit i (LSB first) meaning `pid + i + 1` is lost too.
public struct NackPair: Sendable, Equatable, Hashable {
    public static let size = 4

    public var packetID: UInt16
    public var lostBitmask: UInt16

    public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
        self.packetID = packetID
        self.lostBitmask = lostBitmask
    }

    /// Every sequence number this entry reports lost, in ascending (wrapping) order.
    public var lostSequenceNumbers: LostSequenceNumbers {
        LostSequenceNumbers(pair: self)
    }

    public struct LostSequenceNumbers: Sequence {
        let pair: NackPair

        public var underestimatedCount: Int { 1 + pair.lostBitmask.nonzeroBitCount }

        public func makeIterator() -> Iterator {
            Iterator(packetID: pair.packetID, remainingMask: pair.lostBitmask)
        }

        public struct Iterator: IteratorProtocol {
            let packetID: UInt16
            var remainingMask: UInt16
            var yieldedPacketID = false

            public mutating func next() -> UInt16? {
                if !yieldedPacketID {
                    yieldedPacketID = true
                    return packetID
                }
                guard remainingMask != 0 else { return nil }
                let bit = remainingMask.trailingZeroBitCount
                remainingMask &= remainingMask - 1
                return packetID &+ UInt16(bit + 1)
            }
        }
    }

    /// Packs lost sequence numbers into NACK entries, lazily.
    ///
    /// With input sorted in RTP (wrapping) order this yields the minimum number of entries: each
    /// entry greedily starts at the first uncovered number and absorbs everything within the next
    /// 16. Duplicates are absorbed; out-of-order input still covers every number, just less tightly.
    ///
    /// Inlinable so the caller specializes it for its own sequence type; unspecialized generic
    /// iteration would allocate per element.
    @inlinable
    public static func packing<S: Sequence<UInt16>>(_ lostSequenceNumbers: S) -> Packing<S> {
        Packing(base: lostSequenceNumbers)
    }

    public struct Packing<Base: Sequence<UInt16>>: Sequence {
        @usableFromInline let base: Base

        @inlinable
        init(base: Base) {
            self.base = base
        }

        @inlinable
        public func makeIterator() -> Iterator {
            Iterator(base: base.makeIterator())
        }

        public struct Iterator: IteratorProtocol {
            @usableFromInline var base: Base.Iterator
            /// A number read from `base` that did not fit the previous entry.
            @usableFromInline var pending: UInt16?

            @inlinable
            init(base: Base.Iterator) {
                self.base = base
                pending = nil
            }

            @inlinable
            public mutating func next() -> NackPair? {
                let first: UInt16
                if let pending {
                    first = pending
                    self.pending = nil
                } else if let next = base.next() {
                    first = next
                } else {
                    return nil
                }
                var pair = NackPair(packetID: first)
                while let sequenceNumber = base.next() {
                    let distance = sequenceNumber &- first
                    if distance == 0 { continue }
                    if distance <= 16 {
                        pair.lostBitmask |= 1 << (distance - 1)
                    } else {
                        pending = sequenceNumber
                        break
                    }
                }
                return pair
            }
        }
    }
}
