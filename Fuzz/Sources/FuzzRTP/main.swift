import FuzzSupport
import RTP

// RTP as a publisher sends it, and everything the relay does to one packet on its way through:
//  - parse, read every CSRC, walk every RFC 8285 extension element, rewrite in place
//    (RTPPacketRewriter: SSRC, sequence number, timestamp, payload type, marker, an extension value);
//  - HeaderExtensionMapping.rewrite into a subscriber's ids, with a mapping built from the input
//    (ExtensionRewriteCheck.swift);
//  - RFC 4588 RTX: unwrap the packet as a retransmission, wrap it and unwrap it back
//    (RetransmissionCheck.swift);
//  - RFC 2198 RED: parse the payload, walk its blocks, extract the primary (RedundantAudioCheck.swift);
//  - RFC 6464 audio level of every element.
// Each step checks what its result must satisfy, so a wrong length or offset traps even when it stays
// inside the buffer (AddressSanitizer catches the rest: results are written to exact-size buffers).
//
// Input: `LegConfiguration.length` configuration bytes (LegConfiguration.swift), then the packet.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard input.count >= LegConfiguration.length else { return 0 }
    let leg = LegConfiguration(UnsafeRawBufferPointer(rebasing: input.prefix(LegConfiguration.length)))
    let packet = Array(input.dropFirst(LegConfiguration.length))
    packet.withUnsafeBytes { bytes in
        let header = try? RTPHeader(parsing: bytes)
        if let header {
            checkAudioLevels(bytes, header: header)
            checkExtensionRewrite(bytes, header: header, leg: leg)
            checkRedundantAudio(bytes, header: header)
        }
        checkRetransmission(bytes, header: header, leg: leg)
    }
    rewriteInPlace(packet)
    return 0
}

/// The relay's in-place edits: only fixed-offset fields change, so the layout must stay the same.
func rewriteInPlace(_ original: [UInt8]) {
    var packet = original
    packet.withUnsafeMutableBytes { buffer in
        let bytes = UnsafeRawBufferPointer(buffer)
        guard let header = try? RTPHeader(parsing: bytes) else {
            consume(RTPPacketRewriter(buffer)?.sequenceNumber)
            return
        }
        for index in 0...header.csrcCount { consume(header.csrc(at: index, in: bytes)) }
        consume(header.extensionForm)
        var firstID: UInt8?
        var total = 0
        for element in header.extensions(in: bytes) {
            precondition(element.range.lowerBound >= header.extensionRange!.lowerBound)
            precondition(element.range.upperBound <= header.extensionRange!.upperBound)
            total &+= Int(bytes[element.range].reduce(0, &+))
            if firstID == nil { firstID = element.id }
        }
        consume(total)
        consume(bytes[header.payloadRange].count)
        guard let rewriter = RTPPacketRewriter(buffer) else { preconditionFailure("parsed but not rewritable") }
        rewriter.ssrc = rewriter.ssrc &+ 1
        rewriter.sequenceNumber = rewriter.sequenceNumber &+ 1
        rewriter.timestamp = rewriter.timestamp &+ 3_000
        rewriter.payloadType = 96
        rewriter.marker.toggle()
        if let id = firstID, let value = rewriter.extensionValue(id: id, header: header) {
            let copy = Array(value)
            try? copy.withUnsafeBytes { try rewriter.setExtensionValue(id: id, to: $0, header: header) }
        }
        let again = try? RTPHeader(parsing: bytes)
        precondition(again?.payloadRange == header.payloadRange && again?.extensionRange == header.extensionRange)
        var unwrapper = SequenceNumberUnwrapper()
        consume(unwrapper.unwrap(header.sequenceNumber))
    }
}

/// RFC 6464: an element is an audio level exactly when it is one byte, and the byte round-trips.
func checkAudioLevels(_ packet: UnsafeRawBufferPointer, header: RTPHeader) {
    var firstByID: [UInt8: Range<Int>] = [:]
    for element in header.extensions(in: packet) {
        if firstByID[element.id] == nil { firstByID[element.id] = element.range }
        let level = AudioLevel(value: UnsafeRawBufferPointer(rebasing: packet[element.range]))
        precondition((level != nil) == (element.range.count == 1))
        if let level {
            precondition(level.level <= 127 && level.byte == packet[element.range.lowerBound])
            precondition(level.dBov == -Int(level.level) && AudioLevel(byte: level.byte) == level)
            precondition(AudioLevel(voiceActivity: level.voiceActivity, level: level.level) == level)
        }
    }
    for (id, range) in firstByID {
        let level = AudioLevel(id: id, header: header, packet: packet)
        precondition(level == (range.count == 1 ? AudioLevel(byte: packet[range.lowerBound]) : nil))
    }
}

runFuzzer(fuzz)
