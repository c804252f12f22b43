import FuzzSupport
import RTP

/// RFC 4588 both ways. The packet is unwrapped as if it came on an RTX stream (in place and into an
/// exact-size buffer, which must agree), then wrapped as a retransmission and unwrapped again, which
/// must give back the original without its padding.
func checkRetransmission(_ packet: UnsafeRawBufferPointer, header: RTPHeader?, leg: LegConfiguration) {
    let payloadType = leg.rtxPayloadType
    let ssrc = (header?.ssrc ?? 0) ^ 0x5A5A_5A5A
    let unwrapped = unwrapBothWays(packet, payloadType: payloadType, ssrc: ssrc)
    guard let header else {
        precondition(unwrapped == nil, "unwrapped a packet that does not parse")
        return
    }
    let payload = header.payloadRange
    if payloadType > 0x7F {
        precondition(unwrapped == nil)
    } else if payload.isEmpty {
        precondition(unwrapped == .paddingOnly)
    } else if payload.count < RetransmissionPacket.originalSequenceNumberLength {
        precondition(unwrapped == nil)
    } else {
        let sequenceNumber = UInt16(packet[payload.lowerBound]) << 8 | UInt16(packet[payload.lowerBound + 1])
        precondition(unwrapped == .original(length: payload.upperBound - 2, sequenceNumber: sequenceNumber))
    }

    // Wrap, then unwrap: the original again, minus its padding.
    let wrappedLength = header.headerLength + 2 + payload.count
    let wrapped = UnsafeMutableRawBufferPointer.allocate(byteCount: wrappedLength, alignment: 1)
    defer { wrapped.deallocate() }
    let rtxSequence = header.sequenceNumber ^ 0x8000
    let length: Int
    do {
        length = try RetransmissionPacket.wrap(
            packet, payloadType: payloadType, ssrc: ssrc, sequenceNumber: rtxSequence, into: wrapped)
    } catch {
        precondition(error == .invalidPayloadType && payloadType > 0x7F, "wrap threw \(error)")
        return
    }
    precondition(length == wrappedLength)
    // In place (the original's own buffer, 2 bytes longer) gives the same bytes.
    var inPlace = Array(packet) + [0, 0]
    let inPlaceLength = inPlace.withUnsafeMutableBytes { buffer in
        try? RetransmissionPacket.wrap(
            UnsafeRawBufferPointer(rebasing: buffer[0..<packet.count]), payloadType: payloadType, ssrc: ssrc,
            sequenceNumber: rtxSequence, into: buffer)
    }
    precondition(inPlaceLength == length && inPlace[0..<length].elementsEqual(wrapped))
    guard let rtx = try? RTPHeader(parsing: UnsafeRawBufferPointer(wrapped)) else { preconditionFailure("RTX does not parse") }
    precondition(rtx.ssrc == ssrc && rtx.payloadType == payloadType && rtx.sequenceNumber == rtxSequence)
    precondition(rtx.marker == header.marker && !rtx.hasPadding && rtx.extensionRange == header.extensionRange)

    var restored = Array(UnsafeRawBufferPointer(wrapped))
    let content = restored.withUnsafeMutableBytes { buffer in
        try? RetransmissionPacket.unwrap(buffer, payloadType: header.payloadType, ssrc: header.ssrc)
    }
    precondition(content == .original(length: payload.upperBound, sequenceNumber: header.sequenceNumber))
    var expected = Array(packet[0..<payload.upperBound])
    expected[0] &= ~0x20
    precondition(restored[0..<payload.upperBound].elementsEqual(expected), "wrap then unwrap changed the packet")
}

/// Unwraps in place and into an exact-size buffer; both must agree (nil when refused).
private func unwrapBothWays(_ packet: UnsafeRawBufferPointer, payloadType: UInt8, ssrc: UInt32)
    -> RetransmissionPacket.Content?
{
    var inPlace = Array(packet)
    let first = inPlace.withUnsafeMutableBytes { try? RetransmissionPacket.unwrap($0, payloadType: payloadType, ssrc: ssrc) }
    guard case .original(let length, _)? = first else {
        if first == .paddingOnly { precondition(inPlace.elementsEqual(packet), "a padding-only packet was changed") }
        // Refused or padding only, out of place too (an empty buffer is enough: nothing is written).
        let second = try? RetransmissionPacket.unwrap(
            packet, payloadType: payloadType, ssrc: ssrc, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        precondition(second == first)
        return first
    }
    let exact = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
    defer { exact.deallocate() }
    let second = try? RetransmissionPacket.unwrap(packet, payloadType: payloadType, ssrc: ssrc, into: exact)
    precondition(second == first && exact.elementsEqual(inPlace[0..<length]), "in-place and copying unwrap differ")
    guard let original = try? RTPHeader(parsing: UnsafeRawBufferPointer(exact)) else {
        preconditionFailure("the unwrapped packet does not parse")
    }
    precondition(original.payloadType == payloadType && original.ssrc == ssrc && !original.hasPadding)
    return first
}
