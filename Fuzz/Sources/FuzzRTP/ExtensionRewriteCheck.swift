import FuzzSupport
import RTP

/// `HeaderExtensionMapping.rewrite` against what its documentation promises: it refuses exactly the
/// malformed extension blocks, and otherwise writes the fixed header, CSRCs, payload and padding
/// unchanged, followed by an extension block holding the forwarded elements in source order (under
/// their new ids, values unchanged) and then the relay's own, in the one-byte form whenever it can.
func checkExtensionRewrite(_ source: UnsafeRawBufferPointer, header: RTPHeader, leg: LegConfiguration) {
    guard let mapping = leg.mapping() else { return }
    let sequence = leg.transportSequence(for: header)
    let sendTime = leg.sendTime(for: header)
    var walk = header.extensions(in: source)
    var elements: [HeaderExtensionElement] = []
    while let element = walk.next() { elements.append(element) }

    var own: [(id: UInt8, value: [UInt8])] = []
    if leg.includeMid, let id = mapping.midID { own.append((id, Array(repeating: UInt8(ascii: "m"), count: leg.midLength))) }
    if let time = sendTime, let id = mapping.absoluteSendTimeID {
        own.append((id, [UInt8(time >> 16 & 0xFF), UInt8(time >> 8 & 0xFF), UInt8(time & 0xFF)]))
    }
    if let sequence, let id = mapping.transportSequenceNumberID { own.append((id, [UInt8(sequence >> 8), UInt8(sequence & 0xFF)])) }
    let ownIDs = Set(own.map(\.id))
    let forwarded: [(id: UInt8, value: [UInt8])] = elements.compactMap { element in
        guard let id = mapping.destination(for: element.id), !ownIDs.contains(id) else { return nil }
        if mapping.oneByteFormOnly && (element.range.isEmpty || element.range.count > 16) { return nil }
        return (id, Array(source[element.range]))
    }
    let expected = forwarded + own

    let capacity = source.count + 2 * elements.count + 300
    let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
    defer { destination.deallocate() }
    let length: Int
    do {
        length = try mapping.rewrite(
            source, header: header, into: destination, includeMid: leg.includeMid, transportSequenceNumber: sequence,
            absoluteSendTime: sendTime)
    } catch {
        precondition(walk.malformation == error, "rewrite threw \(error) for a block whose walk found \(String(describing: walk.malformation))")
        return
    }
    precondition(walk.malformation == nil, "rewrite accepted a malformed block")
    precondition(length <= capacity)
    let output = UnsafeRawBufferPointer(rebasing: destination[0..<length])
    guard let rewritten = try? RTPHeader(parsing: output) else { preconditionFailure("the rewritten packet does not parse") }

    // Everything outside the extension block is the source's.
    precondition(output[0] & ~0x10 == source[0] & ~0x10)
    precondition(output[1..<RTPHeader.fixedLength + 4 * header.csrcCount].elementsEqual(source[1..<RTPHeader.fixedLength + 4 * header.csrcCount]))
    precondition(output[rewritten.payloadRange].elementsEqual(source[header.payloadRange]))
    precondition(rewritten.paddingLength == header.paddingLength)
    precondition(output[rewritten.payloadRange.upperBound...].elementsEqual(source[header.payloadRange.upperBound...]))

    // The block: exactly the expected elements, in the smallest form that carries them.
    if expected.isEmpty {
        precondition(!rewritten.hasExtension, "an empty extension block was written")
    } else {
        let oneByte = expected.allSatisfy { $0.id <= 14 && (1...16).contains($0.value.count) }
        precondition(rewritten.extensionProfile == (oneByte ? 0xBEDE : 0x1000))
        precondition(!mapping.oneByteFormOnly || oneByte, "a one-byte-only leg got the two-byte form")
        // Padded only to the next 32-bit boundary (RFC 8285 §4).
        let bytes = expected.reduce(0) { $0 + (oneByte ? 1 : 2) + $1.value.count }
        precondition(rewritten.extensionRange?.count == (bytes + 3) / 4 * 4, "the block is not minimally padded")
        var written = rewritten.extensions(in: output)
        var index = 0
        while let element = written.next() {
            precondition(index < expected.count, "more elements written than expected")
            precondition(element.id == expected[index].id && output[element.range].elementsEqual(expected[index].value))
            index += 1
        }
        precondition(written.malformation == nil && index == expected.count, "the written block lost elements")
    }

    // The length is exact: the same rewrite fits a buffer of that size and not one byte less.
    let exact = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
    defer { exact.deallocate() }
    let again = try? mapping.rewrite(
        source, into: exact, includeMid: leg.includeMid, transportSequenceNumber: sequence, absoluteSendTime: sendTime)
    precondition(again == length && exact.elementsEqual(output))
    if length > 0 {
        do {
            _ = try mapping.rewrite(
                source, header: header, into: UnsafeMutableRawBufferPointer(rebasing: exact[0..<(length - 1)]),
                includeMid: leg.includeMid, transportSequenceNumber: sequence, absoluteSendTime: sendTime)
            preconditionFailure("rewrite fitted \(length) bytes into \(length - 1)")
        } catch {
            precondition(error == .bufferTooSmall)
        }
    }
    consume(rewritten)
}
