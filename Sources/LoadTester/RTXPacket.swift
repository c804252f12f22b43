import RTP

/// RTX (RFC 4588 §4): a retransmission on its own SSRC and sequence space, whose payload starts with
/// the original sequence number (OSN). The header keeps the original's timestamp, marker, CSRCs and
/// header extensions, so a receiver unwraps it into the packet that was lost.
enum RTXPacket {
    /// Wraps an original (plain) packet; padding is not carried over. Nil if it does not parse.
    static func wrap(_ original: [UInt8], payloadType: UInt8, sequenceNumber: UInt16, ssrc: UInt32) -> [UInt8]? {
        original.withUnsafeBytes { raw -> [UInt8]? in
            guard let header = try? RTPHeader(parsing: raw) else { return nil }
            var packet = Array(raw[0..<header.headerLength])
            packet.reserveCapacity(header.headerLength + 2 + header.payloadRange.count)
            packet[0] &= ~0x20
            packet[1] = (packet[1] & 0x80) | (payloadType & 0x7F)
            packet.store(sequenceNumber, at: 2)
            packet.store(ssrc, at: 8)
            packet.append(UInt8(header.sequenceNumber >> 8))
            packet.append(UInt8(truncatingIfNeeded: header.sequenceNumber))
            packet += raw[header.payloadRange]
            return packet
        }
    }

    /// The original packet inside an RTX packet: OSN as its sequence number, `payloadType` and
    /// `ssrc` restored. Nil for padding-only RTX (no OSN) or a packet that does not parse.
    static func unwrap(_ rtx: [UInt8], payloadType: UInt8, ssrc: UInt32) -> [UInt8]? {
        rtx.withUnsafeBytes { raw -> [UInt8]? in
            guard let header = try? RTPHeader(parsing: raw), header.payloadRange.count >= 2 else { return nil }
            let osnAt = header.payloadRange.lowerBound
            var packet = Array(raw[0..<header.headerLength])
            packet[0] &= ~0x20
            packet[1] = (packet[1] & 0x80) | (payloadType & 0x7F)
            packet[2] = raw[osnAt]
            packet[3] = raw[osnAt + 1]
            packet.store(ssrc, at: 8)
            packet += raw[(osnAt + 2)..<header.payloadRange.upperBound]
            return packet
        }
    }
}

extension Array where Element == UInt8 {
    /// Big-endian store into bytes that exist (callers write inside a parsed RTP header).
    mutating func store(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    mutating func store(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }
}
