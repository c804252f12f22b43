import FuzzSupport
import RTP

// RTP with RFC 8285 header extensions: parse, read every CSRC, walk every extension element,
// then rewrite the packet in place as the relay does for each subscriber (SSRC, sequence number,
// timestamp, payload type, marker and an extension value of the same length).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var packet = Array(UnsafeRawBufferPointer(start: data, count: size))
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
        // A rewritten packet still parses to the same layout: only fixed-offset fields changed.
        let again = try? RTPHeader(parsing: bytes)
        precondition(again?.payloadRange == header.payloadRange && again?.extensionRange == header.extensionRange)
        var unwrapper = SequenceNumberUnwrapper()
        consume(unwrapper.unwrap(header.sequenceNumber))
    }
    return 0
}

runFuzzer(fuzz)
