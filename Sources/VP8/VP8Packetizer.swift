/// Splits encoded VP8 frames into RTP payloads (RFC 7741 §4.2, §4.4).
///
/// Every payload gets a 4-byte descriptor with a 15-bit PictureID, the form libwebrtc sends, so
/// receivers can detect lost frames. Fragments are balanced in size rather than filled greedily,
/// which avoids a tiny trailing packet. Partition boundaries are not tracked (libwebrtc's default
/// non-partitioned mode): PID is always 0 and only the first packet has S = 1. Not for the relay's
/// hot path.
public struct VP8Packetizer: Sendable, Equatable, Hashable {
    /// Bytes of descriptor put in front of every fragment: X, I|M and two PictureID bytes.
    public static let descriptorLength = 4

    /// Largest RTP payload (descriptor + fragment) to produce.
    public let maxPayloadSize: Int
    /// PictureID the next frame will carry; wraps within 15 bits.
    public private(set) var nextPictureID: UInt16

    public init(maxPayloadSize: Int, initialPictureID: UInt16 = 0) throws(VP8Error) {
        guard maxPayloadSize > Self.descriptorLength else { throw .payloadSizeTooSmall }
        self.maxPayloadSize = maxPayloadSize
        self.nextPictureID = initialPictureID & 0x7FFF
    }

    /// RTP payloads for one frame, in order; the caller sets the RTP marker bit on the last
    /// (RFC 7741 §4.1). An empty frame produces nothing and consumes no PictureID.
    public mutating func packetize(_ frame: [UInt8], nonReference: Bool = false) -> [[UInt8]] {
        guard !frame.isEmpty else { return [] }
        let capacity = maxPayloadSize - Self.descriptorLength
        let count = (frame.count + capacity - 1) / capacity
        // First `remainder` fragments carry one extra byte, so sizes differ by at most one.
        let base = frame.count / count
        let remainder = frame.count % count
        let pictureID = nextPictureID
        nextPictureID = (nextPictureID &+ 1) & 0x7FFF

        var payloads: [[UInt8]] = []
        payloads.reserveCapacity(count)
        var start = 0
        for index in 0..<count {
            let length = base + (index < remainder ? 1 : 0)
            let descriptor = VP8PayloadDescriptor(
                nonReference: nonReference, startOfPartition: index == 0, pictureID: .fifteenBit(pictureID))
            var payload = [UInt8](repeating: 0, count: Self.descriptorLength + length)
            let written = payload.withUnsafeMutableBytes { try? descriptor.write(into: $0) }
            assert(written == Self.descriptorLength, "descriptor fields are in range by construction")
            payload.replaceSubrange(Self.descriptorLength..., with: frame[start..<(start + length)])
            payloads.append(payload)
            start += length
        }
        return payloads
    }
}
