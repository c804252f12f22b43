/// The sender information section of an SR (RFC 3550 §6.4.1).
public struct SenderInfo: Sendable, Equatable, Hashable {
    /// Size on the wire.
    public static let size = 20

    /// 64-bit NTP timestamp; its middle 32 bits become a receiver's LSR.
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32

    public init(ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32) {
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
    }

    /// The compact form receivers echo as LSR (RFC 3550 §6.4.1).
    public var compactNTP: UInt32 { UInt32(truncatingIfNeeded: ntpTimestamp >> 16) }

    init(decoding bytes: UnsafeRawBufferPointer, at offset: Int) {
        ntpTimestamp = bytes.readUInt64(at: offset)
        rtpTimestamp = bytes.readUInt32(at: offset + 8)
        packetCount = bytes.readUInt32(at: offset + 12)
        octetCount = bytes.readUInt32(at: offset + 16)
    }

    func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.writeUInt64(ntpTimestamp, at: offset)
        buffer.writeUInt32(rtpTimestamp, at: offset + 8)
        buffer.writeUInt32(packetCount, at: offset + 12)
        buffer.writeUInt32(octetCount, at: offset + 16)
    }
}
