import FuzzSupport
import VP8

// The VP8 payload descriptor (RFC 7741 §4.2) and keyframe header, which the relay reads on every
// video packet to start a subscriber at a keyframe and to rewrite PictureID/TL0PICIDX; then
// VP8FrameAssembler (decoding receivers) fed the input as a sequence of packets.
//
// Input: records (FuzzRecords). Each record is one RTP payload; its tag's bit 0 is the marker
// bit and bits 1...7 the sequence-number step from the previous packet (1 = in order).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // The whole input as one payload.
    inspect(input)
    var assembler = VP8FrameAssembler()
    var sequenceNumber: UInt16 = 0xFFF0
    var frames = 0
    for (tag, body) in FuzzRecords(input) {
        inspect(body)
        sequenceNumber &+= UInt16(tag >> 1)
        if let frame = assembler.append(payload: body, sequenceNumber: sequenceNumber, marker: tag & 1 == 1) {
            frames += 1
            frame.withUnsafeBytes { consume(VP8KeyframeInfo(frame: $0)) }
        }
    }
    consume(frames &+ assembler.framesDropped)
    return 0
}

func inspect(_ payload: UnsafeRawBufferPointer) {
    guard let parsed = try? VP8RTPPayload(parsing: payload) else { return }
    precondition(parsed.frameDataRange.upperBound <= payload.count)
    precondition(parsed.descriptorLength == parsed.frameDataRange.lowerBound)
    consume(parsed.isKeyframe)
    consume(parsed.keyframeInfo)
    consume(parsed.descriptor.isStartOfFrame)
    // Re-encoding the descriptor gives the same length as parsed.
    if let encoded = try? parsed.descriptor.bytes() {
        precondition(encoded.count == parsed.descriptor.encodedLength)
    }
    // Rewrite as the relay does for a subscriber, then parse again: same layout.
    var copy = Array(payload)
    copy.withUnsafeMutableBytes { buffer in
        try? parsed.rewritePictureID(0x7FFF, in: buffer)
        try? parsed.rewriteTL0PicIdx(0xFF, in: buffer)
        let again = try? VP8RTPPayload(parsing: UnsafeRawBufferPointer(buffer))
        precondition(again?.frameDataRange == parsed.frameDataRange)
        precondition(again?.isKeyframe == parsed.isKeyframe)
    }
}

runFuzzer(fuzz)
