import FuzzSupport
import RTP

/// RFC 2198 RED: a payload that parses has blocks that tile it (the redundant ones in order, then the
/// primary up to the payload's end), the same whether parsed in the packet or on its own, and
/// `extractPrimary` leaves exactly the primary behind the unchanged header.
func checkRedundantAudio(_ packet: UnsafeRawBufferPointer, header: RTPHeader) {
    let payload = header.payloadRange
    let red = try? RedundantAudio(parsing: packet, payloadRange: payload)
    let alone = try? RedundantAudio(parsing: UnsafeRawBufferPointer(rebasing: packet[payload]))
    precondition((red == nil) == (alone == nil), "RED parses in the packet but not alone, or the reverse")
    var extracted = Array(packet)
    let result = extracted.withUnsafeMutableBytes { try? RedundantAudio.extractPrimary($0) }
    guard let red, let alone else {
        precondition(result == nil, "extracted a primary from a payload that is not RED")
        return
    }
    precondition(alone.redundantBlockCount == red.redundantBlockCount && alone.primary.payloadType == red.primary.payloadType)
    precondition(alone.primary.range == (red.primary.range.lowerBound - payload.lowerBound)..<(red.primary.range.upperBound - payload.lowerBound))

    var blocks = red.blocks(in: packet)
    var redundant = 0
    var previousEnd: Int?
    var last: RedundantAudioBlock?
    while let block = blocks.next() {
        precondition(last == nil || !last!.isPrimary, "a block after the primary")
        precondition(block.range.lowerBound >= payload.lowerBound && block.range.upperBound <= payload.upperBound)
        if let previousEnd { precondition(block.range.lowerBound == previousEnd, "RED blocks do not tile the payload") }
        precondition(block.payloadType <= 0x7F && block.timestampOffset < 1 << 14)
        previousEnd = block.range.upperBound
        if !block.isPrimary { redundant += 1 }
        last = block
    }
    precondition(redundant == red.redundantBlockCount && last == red.primary, "the walk and the parse disagree")
    precondition(red.primary.range.upperBound == payload.upperBound)

    guard let result else { preconditionFailure("RED parsed but extractPrimary refused it") }
    precondition(result.payloadType == red.primary.payloadType)
    precondition(result.length == header.headerLength + red.primary.range.count)
    precondition(extracted[header.headerLength..<result.length].elementsEqual(packet[red.primary.range]))
    precondition(extracted[0] == packet[0] & ~0x20 && extracted[1] == (packet[1] & 0x80) | red.primary.payloadType)
    precondition(extracted[2..<header.headerLength].elementsEqual(packet[2..<header.headerLength]))
    consume(alone)
}
