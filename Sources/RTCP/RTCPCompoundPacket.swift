/// A validated compound RTCP datagram, iterated packet by packet without allocating.
///
/// Validation follows RFC 3550 Appendix A.2: every packet has version 2, the length fields tile the
/// datagram exactly, and any padding count is non-zero and fits in its packet. The "first packet
/// must be SR or RR" rule is deliberately not enforced because reduced-size RTCP (RFC 5506 §3)
/// allows a lone feedback packet. Padding is accepted on any packet, not just the last one: the
/// RFC 3550 §6.4.1 "last packet only" rule is a sender obligation that real stacks do not all honour,
/// and each packet's own length still bounds its padding.
///
/// The value borrows `bytes`; it must not outlive the `withUnsafeBytes` scope it was created in.
public struct RTCPCompoundPacket: Sequence {
    public let bytes: UnsafeRawBufferPointer

    /// Checks the framing of every packet so iteration itself cannot fail.
    public init(validating bytes: UnsafeRawBufferPointer) throws(RTCPError) {
        guard !bytes.isEmpty else { throw .invalidLength }
        var offset = 0
        while offset < bytes.count {
            let (_, _, packetLength) = try RTCPHeader.split(bytes.slice(offset..<bytes.count))
            offset += packetLength
        }
        self.bytes = bytes
    }

    public func makeIterator() -> Iterator {
        Iterator(bytes: bytes)
    }

    /// Yields each packet of the compound in order.
    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        public mutating func next() -> RTCPPacket? {
            guard offset < bytes.count,
                  let (header, body, packetLength) = try? RTCPHeader.split(bytes.slice(offset..<bytes.count))
            else { return nil }
            let range = offset..<(offset + packetLength)
            offset += packetLength
            return RTCPPacket(header: header, range: range, bytes: bytes.slice(range), body: body)
        }
    }
}
