import Testing
import RTP

/// `mapping.rewrite` of `bytes` into a fresh buffer; the written bytes.
private func rewrite(
    _ mapping: HeaderExtensionMapping, _ bytes: [UInt8], capacity: Int? = nil, includeMid: Bool = true,
    transportSequenceNumber: UInt16? = nil, absoluteSendTime: UInt32? = nil
) -> Result<[UInt8], RTPError> {
    var output = [UInt8](repeating: 0xEE, count: capacity ?? bytes.count + 300)
    return bytes.withUnsafeBytes { source in
        output.withUnsafeMutableBytes { destination in
            Result { () throws(RTPError) -> Int in
                try mapping.rewrite(
                    source, into: destination, includeMid: includeMid,
                    transportSequenceNumber: transportSequenceNumber, absoluteSendTime: absoluteSendTime)
            }
        }
    }.map { Array(output.prefix($0)) }
}

/// A mapping forwarding `pairs` (source → destination).
private func mapping(
    _ pairs: [(UInt8, UInt8)], mid: (id: UInt8, value: String)? = nil,
    transportSequenceNumberID: UInt8? = nil, absoluteSendTimeID: UInt8? = nil
) throws -> HeaderExtensionMapping {
    var mapping = try HeaderExtensionMapping(
        mid: mid, transportSequenceNumberID: transportSequenceNumberID, absoluteSendTimeID: absoluteSendTimeID)
    for (source, destination) in pairs { try mapping.forward(source, as: destination) }
    return mapping
}

/// V=2 X=1, PT 111, sequence number 1, timestamp 2, SSRC 3.
private let fixedHeader: [UInt8] = [0x90, 0x6F, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03]
private let fixedHeaderWithoutX: [UInt8] = [0x80] + fixedHeader.dropFirst()
private let payload: [UInt8] = [0xEE, 0xEF]

/// The RFC 8285 §4.2 example block: ID 1 (1 byte), ID 2 (2 bytes), two padding bytes,
/// ID 3 (4 bytes).
private let oneByteExample: [UInt8] = fixedHeader + [
    0xBE, 0xDE, 0x00, 0x03,
    0x10, 0xAA, 0x21, 0xBB,
    0xCC, 0x00, 0x00, 0x33,
    0xD1, 0xD2, 0xD3, 0xD4,
] + payload

/// The RFC 8285 §4.3 example block: ID 1 (empty), ID 2 (1 byte), one padding byte, ID 3 (4 bytes).
private let twoByteExample: [UInt8] = fixedHeader + [
    0x10, 0x00, 0x00, 0x03,
    0x01, 0x00, 0x02, 0x01,
    0xBB, 0x00, 0x03, 0x04,
    0xD1, 0xD2, 0xD3, 0xD4,
] + payload

@Test func renumbersOneByteElementsAndDropsInterElementPadding() throws {
    let result = rewrite(try mapping([(1, 5), (2, 6), (3, 7)]), oneByteExample)
    #expect(result == .success(fixedHeader + [
        0xBE, 0xDE, 0x00, 0x03,
        0x50, 0xAA, 0x61, 0xBB,
        0xCC, 0x73, 0xD1, 0xD2,
        0xD3, 0xD4, 0x00, 0x00,
    ] + payload))
}

@Test func unmappedElementsAreDroppedAndTransportSequenceNumberAdded() throws {
    let result = rewrite(try mapping([(3, 1)], transportSequenceNumberID: 2), oneByteExample, transportSequenceNumber: 0x1234)
    #expect(result == .success(fixedHeader + [
        0xBE, 0xDE, 0x00, 0x02,
        0x13, 0xD1, 0xD2, 0xD3,
        0xD4, 0x21, 0x12, 0x34,
    ] + payload))
}

@Test func emptyValueKeepsTheTwoByteForm() throws {
    let result = rewrite(try mapping([(1, 1), (2, 2), (3, 3)]), twoByteExample)
    #expect(result == .success(fixedHeader + [
        0x10, 0x00, 0x00, 0x03,
        0x01, 0x00, 0x02, 0x01,
        0xBB, 0x03, 0x04, 0xD1,
        0xD2, 0xD3, 0xD4, 0x00,
    ] + payload))
}

@Test func twoByteSourceBecomesOneByteWhenEverythingFits() throws {
    let result = rewrite(try mapping([(2, 2), (3, 3)]), twoByteExample)
    #expect(result == .success(fixedHeader + [
        0xBE, 0xDE, 0x00, 0x02,
        0x20, 0xBB, 0x33, 0xD1,
        0xD2, 0xD3, 0xD4, 0x00,
    ] + payload))
}

@Test func destinationIDAbove14NeedsTheTwoByteForm() throws {
    #expect(rewrite(try mapping([(3, 200)]), oneByteExample) == .success(fixedHeader + [
        0x10, 0x00, 0x00, 0x02,
        0xC8, 0x04, 0xD1, 0xD2,
        0xD3, 0xD4, 0x00, 0x00,
    ] + payload))
    // ID 15 is reserved in the one-byte form (RFC 8285 §4.2), so it too forces two bytes.
    #expect(rewrite(try mapping([(1, 15)]), oneByteExample) == .success(fixedHeader + [
        0x10, 0x00, 0x00, 0x01,
        0x0F, 0x01, 0xAA, 0x00,
    ] + payload))
}

/// Publisher packet: audio level 0x85 (V, -5 dBov) under ID 1, mid "0" under ID 3.
private let audioWithMid: [UInt8] = fixedHeader + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0x85, 0x30, 0x30] + payload

@Test func longerMidGrowsTheBlock() throws {
    let leg = try mapping([(1, 10)], mid: (id: 4, value: "video-17"))
    #expect(rewrite(leg, audioWithMid) == .success(fixedHeader + [
        0xBE, 0xDE, 0x00, 0x03,
        0xA0, 0x85, 0x47, 0x76,  // ID 10 audio level; ID 4 L=7 "v"
        0x69, 0x64, 0x65, 0x6F,  // "ideo"
        0x2D, 0x31, 0x37, 0x00,  // "-17", padding
    ] + payload))
    #expect(rewrite(leg, audioWithMid, includeMid: false) == .success(fixedHeader + [
        0xBE, 0xDE, 0x00, 0x01,
        0xA0, 0x85, 0x00, 0x00,
    ] + payload))
}

@Test func midOver16BytesNeedsTheTwoByteForm() throws {
    let leg = try mapping([(1, 10)], mid: (id: 4, value: "abcdefghijklmnopq"))
    #expect(rewrite(leg, audioWithMid) == .success(fixedHeader + [
        0x10, 0x00, 0x00, 0x06,
        0x0A, 0x01, 0x85, 0x04,
        0x11, 0x61, 0x62, 0x63,
        0x64, 0x65, 0x66, 0x67,
        0x68, 0x69, 0x6A, 0x6B,
        0x6C, 0x6D, 0x6E, 0x6F,
        0x70, 0x71, 0x00, 0x00,
    ] + payload))
}

@Test func relayMidReplacesAForwardedOneWithTheSameID() throws {
    let leg = try mapping([(1, 10), (3, 4)], mid: (id: 4, value: "1"))
    #expect(rewrite(leg, audioWithMid) == .success(fixedHeader + [0xBE, 0xDE, 0x00, 0x01, 0xA0, 0x85, 0x40, 0x31] + payload))
    // Without the relay's value this packet, the publisher's element is forwarded.
    #expect(rewrite(leg, audioWithMid, includeMid: false) == .success(
        fixedHeader + [0xBE, 0xDE, 0x00, 0x01, 0xA0, 0x85, 0x40, 0x30] + payload))
}

@Test func relayStampsAbsSendTimeAndTransportSequenceNumber() throws {
    let tail = Array(chromiumVP8Packet[24...])
    let stamped = [0x90, 0xE0] + chromiumVP8Packet[2..<12] + [
        0xBE, 0xDE, 0x00, 0x02,
        0x32, 0x12, 0x34, 0x56,  // ID 3 abs-send-time 0x123456
        0x51, 0x00, 0x2A, 0x00,  // ID 5 transport-wide seq 42
    ] + tail
    let own = try mapping([], transportSequenceNumberID: 5, absoluteSendTimeID: 3)
    #expect(rewrite(own, chromiumVP8Packet, transportSequenceNumber: 42, absoluteSendTime: 0x12_3456) == .success(stamped))
    // Publisher's values forwarded under the same IDs are replaced when the relay stamps...
    let both = try mapping([(2, 3), (4, 5)], transportSequenceNumberID: 5, absoluteSendTimeID: 3)
    #expect(rewrite(both, chromiumVP8Packet, transportSequenceNumber: 42, absoluteSendTime: 0x12_3456) == .success(stamped))
    // ...and forwarded when it does not.
    #expect(rewrite(both, chromiumVP8Packet) == .success([0x90, 0xE0] + chromiumVP8Packet[2..<12] + [
        0xBE, 0xDE, 0x00, 0x02,
        0x32, 0x8F, 0xB2, 0x4C,
        0x51, 0x01, 0x23, 0x00,
    ] + tail))
    // Only the low 24 bits of abs-send-time exist.
    #expect(rewrite(own, chromiumVP8Packet, absoluteSendTime: 0xFF12_3456) == .success([0x90, 0xE0] + chromiumVP8Packet[2..<12] + [
        0xBE, 0xDE, 0x00, 0x01,
        0x32, 0x12, 0x34, 0x56,
    ] + tail))
}

@Test func nothingWrittenClearsTheXBit() throws {
    let result = rewrite(try mapping([]), chromiumVP8Packet, transportSequenceNumber: 1, absoluteSendTime: 2)
    #expect(result == .success([0x80, 0xE0] + chromiumVP8Packet[2..<12] + chromiumVP8Packet[24...]))
}

@Test func addsABlockKeepingCSRCsPayloadAndPadding() throws {
    let source: [UInt8] = [
        0xA2, 0x6F, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,  // P=1 CC=2, no X
        0xC1, 0xC1, 0xC1, 0xC1, 0xC2, 0xC2, 0xC2, 0xC2,
        0xEE,
        0x00, 0x00, 0x03,
    ]
    let result = rewrite(try mapping([], transportSequenceNumberID: 14), source, transportSequenceNumber: 0xBEEF)
    #expect(result == .success([0xB2] + source[1..<20] + [0xBE, 0xDE, 0x00, 0x01, 0xE1, 0xBE, 0xEF, 0x00] + source[20...]))
    let header = try parse(result.get()).get()
    #expect(header.paddingLength == 3)
    #expect(header.csrcCount == 2)
}

@Test func destinationMustHoldTheWholePacket() throws {
    let leg = try mapping([(1, 5), (2, 6), (3, 7)])
    let expected = try rewrite(leg, oneByteExample).get()
    #expect(rewrite(leg, oneByteExample, capacity: expected.count) == .success(expected))
    #expect(rewrite(leg, oneByteExample, capacity: expected.count - 1) == .failure(.bufferTooSmall))
    #expect(rewrite(leg, oneByteExample, capacity: 0) == .failure(.bufferTooSmall))
}

@Test func malformedSourcesAreRefused() throws {
    let leg = try mapping([(1, 1), (2, 2)])
    // The block's word count runs past the packet.
    #expect(rewrite(leg, fixedHeader + [0xBE, 0xDE, 0x00, 0x03, 0x10, 0xAA, 0x00, 0x00]) == .failure(.truncated))
    // The extension header itself is cut.
    #expect(rewrite(leg, fixedHeader + [0xBE, 0xDE, 0x00]) == .failure(.truncated))
    // ID 2 claims 4 bytes, 1 is left in the block (though payload bytes follow).
    #expect(rewrite(leg, fixedHeader + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x23, 0x01] + payload) == .failure(.truncated))
    // Two-byte form: ID with no length byte; a length past the block.
    #expect(rewrite(leg, fixedHeader + [0x10, 0x00, 0x00, 0x01, 0x01, 0x01, 0xAA, 0x02] + payload) == .failure(.truncated))
    #expect(rewrite(leg, fixedHeader + [0x10, 0x00, 0x00, 0x01, 0x01, 0x03, 0xAA, 0xBB] + payload) == .failure(.truncated))
    // A non-zero byte with ID 0 in the one-byte form, even in an unmapped position.
    #expect(rewrite(leg, fixedHeader + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x05, 0x00] + payload) == .failure(.invalidExtensionID))
    // Not RTP version 2.
    #expect(rewrite(leg, [0x50] + oneByteExample.dropFirst()) == .failure(.unsupportedVersion(1)))
}

@Test func oneByteID15EndsTheBlockWithoutError() throws {
    let source = fixedHeader + [0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAA, 0xF0, 0x23, 0x01, 0x02, 0x03, 0x04] + payload
    #expect(rewrite(try mapping([(1, 1), (2, 2)]), source) == .success(
        fixedHeader + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00] + payload))
}

@Test func headerFromAnotherBufferIsRefused() throws {
    let leg = try mapping([(1, 1)])
    let header = try parse(oneByteExample).get()
    var output = [UInt8](repeating: 0, count: 100)
    let short = Array(oneByteExample.prefix(20))
    let result = short.withUnsafeBytes { source in
        output.withUnsafeMutableBytes { destination in
            Result { () throws(RTPError) -> Int in try leg.rewrite(source, header: header, into: destination) }
        }
    }
    #expect(result == .failure(.truncated))
}

@Test func blockOverTheWordCountLimitIsRefused() throws {
    // 131070 one-byte elements of ID 1; as ID 200 each needs 3 bytes, over 65535 words.
    let words = 65535
    let source = fixedHeader + [0xBE, 0xDE, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 4 * words).enumerated().map {
        $0.offset % 2 == 0 ? 0x10 : 0xAA
    }
    #expect(rewrite(try mapping([(1, 200)]), source, capacity: 400_000) == .failure(.extensionTooLong))
    // Under ID 2 the block keeps its size.
    #expect(try rewrite(try mapping([(1, 2)]), source, capacity: 400_000).get().count == source.count)
}

@Test func mappingRefusesReservedAndDuplicateIDs() throws {
    var leg = try HeaderExtensionMapping(mid: (id: 1, value: "0"), transportSequenceNumberID: 2, absoluteSendTimeID: 3)
    #expect(leg.midID == 1 && leg.transportSequenceNumberID == 2 && leg.absoluteSendTimeID == 3)
    #expect(throws: RTPError.invalidExtensionID) { try leg.forward(0, as: 1) }
    #expect(throws: RTPError.invalidExtensionID) { try leg.forward(1, as: 0) }
    try leg.forward(7, as: 9)
    #expect(throws: RTPError.invalidExtensionID) { try leg.forward(8, as: 9) }
    try leg.forward(7, as: 9)  // the same pair again is fine
    try leg.forward(7, as: 10)  // and so is moving it
    try leg.forward(8, as: 9)
    #expect(leg.destination(for: 7) == 10)
    #expect(leg.destination(for: 8) == 9)
    #expect(leg.destination(for: 6) == nil)
    // A forwarded element may target one of the relay's own IDs.
    try leg.forward(5, as: 2)

    #expect(throws: RTPError.invalidExtensionID) { try HeaderExtensionMapping(transportSequenceNumberID: 0) }
    #expect(throws: RTPError.invalidExtensionID) {
        try HeaderExtensionMapping(transportSequenceNumberID: 4, absoluteSendTimeID: 4)
    }
    #expect(throws: RTPError.invalidExtensionID) { try HeaderExtensionMapping(mid: (id: 4, value: "0"), absoluteSendTimeID: 4) }
    #expect(throws: RTPError.extensionTooLong) {
        try HeaderExtensionMapping(mid: (id: 4, value: String(repeating: "m", count: 256)))
    }
    let longest = try HeaderExtensionMapping(mid: (id: 4, value: String(repeating: "m", count: 255)))
    let result = try rewrite(longest, chromiumVP8Packet).get()
    let header = try parse(result).get()
    #expect(elements(result, header: header) == [Element(id: 4, value: [UInt8](repeating: 0x6D, count: 255))])
}

/// Random packets and legs against a model of the rules: forwarded elements in source order
/// under their new IDs, then the relay's own, in the smallest form; fixed header, payload and
/// padding unchanged. Malformed or truncated sources fail with the parser's reason; nothing traps.
@Test func randomPacketsFollowTheModel() throws {
    var rng = SplitMix64(state: 8285)
    var rewritten = 0
    for round in 0..<3_000 {
        let twoByte = Bool.random(using: &rng)
        let extensions = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
            RTPHeaderExtension(
                id: twoByte ? UInt8.random(in: 1...20, using: &rng) : UInt8.random(in: 1...14, using: &rng),
                value: (0..<Int.random(in: twoByte ? 0...20 : 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        let builder = RTPHeaderBuilder(
            marker: Bool.random(using: &rng), payloadType: UInt8.random(in: 0...127, using: &rng),
            sequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng), timestamp: UInt32.random(in: 0...UInt32.max, using: &rng),
            ssrc: UInt32.random(in: 0...UInt32.max, using: &rng),
            csrcs: (0..<Int.random(in: 0...2, using: &rng)).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) },
            extensions: extensions)
        var bytes = try builder.packet(
            payload: (0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
            paddingLength: UInt8.random(in: 0...3, using: &rng))
        // Corrupt some: a random byte anywhere, or a cut.
        if round % 3 == 0 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
        if round % 7 == 0 { bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng)) }
        if round % 11 == 0 { bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }

        let ownIDs = (0..<3).map { _ in Bool.random(using: &rng) ? UInt8.random(in: 1...20, using: &rng) : nil }
        let midValue = String(repeating: "x", count: Int.random(in: 0...20, using: &rng))
        let oneByteFormOnly = round % 4 == 0
        guard var leg = try? HeaderExtensionMapping(
            mid: ownIDs[0].map { (id: $0, value: midValue) }, transportSequenceNumberID: ownIDs[1], absoluteSendTimeID: ownIDs[2],
            oneByteFormOnly: oneByteFormOnly)
        else { continue }
        for source in UInt8(1)...20 where Bool.random(using: &rng) {
            try? leg.forward(source, as: UInt8.random(in: 1...20, using: &rng))
        }
        let includeMid = Bool.random(using: &rng)
        let sequence = Bool.random(using: &rng) ? UInt16.random(in: 0...UInt16.max, using: &rng) : nil
        let time = Bool.random(using: &rng) ? UInt32.random(in: 0...0xFF_FFFF, using: &rng) : nil
        let capacity = Int.random(in: 0...120, using: &rng)
        let result = rewrite(
            leg, bytes, capacity: capacity, includeMid: includeMid, transportSequenceNumber: sequence, absoluteSendTime: time)

        // The model.
        guard case .success(let header) = parse(bytes) else {
            #expect(result == parse(bytes).map { _ in [] })
            continue
        }
        var walk = bytes.withUnsafeBytes { header.extensions(in: $0) }
        var sourceElements: [HeaderExtensionElement] = []
        while let element = walk.next() { sourceElements.append(element) }
        if let malformation = walk.malformation {
            #expect(result == .failure(malformation))
            continue
        }
        var own: [Element] = []
        if includeMid, let id = leg.midID { own.append(Element(id: id, value: Array(midValue.utf8))) }
        if let time, let id = leg.absoluteSendTimeID {
            own.append(Element(id: id, value: [UInt8(time >> 16), UInt8(time >> 8 & 0xFF), UInt8(time & 0xFF)]))
        }
        if let sequence, let id = leg.transportSequenceNumberID { own.append(Element(id: id, value: [UInt8(sequence >> 8), UInt8(sequence & 0xFF)])) }
        let expected = sourceElements.compactMap { element -> Element? in
            guard let id = leg.destination(for: element.id), !own.contains(where: { $0.id == id }) else { return nil }
            if oneByteFormOnly, !(1...16).contains(element.range.count) { return nil }
            return Element(id: id, value: Array(bytes[element.range]))
        } + own

        guard case .success(let output) = result else {
            #expect(result == .failure(.bufferTooSmall))
            continue
        }
        rewritten += 1
        let outputHeader = try parse(output).get()
        #expect(elements(output, header: outputHeader) == expected)
        if expected.isEmpty {
            #expect(!outputHeader.hasExtension)
        } else {
            let fits = expected.allSatisfy { $0.id <= 14 && (1...16).contains($0.value.count) }
            #expect(outputHeader.extensionForm == (fits ? .oneByte : .twoByte))
            if oneByteFormOnly { #expect(fits) }
        }
        let prefix = 12 + 4 * header.csrcCount
        #expect(output[0] & 0xEF == bytes[0] & 0xEF)
        #expect(output[1..<prefix] == bytes[1..<prefix])
        #expect(output[outputHeader.headerLength...] == bytes[header.headerLength...])
    }
    #expect(rewritten > 500)
}

@Test func oneByteFormOnlyLegNeverWritesTwoBytes() throws {
    // Forwarding the RFC 8285 §4.3 example to a subscriber without extmap-allow-mixed: the empty
    // element is dropped rather than forcing the two-byte form.
    var leg = try HeaderExtensionMapping(transportSequenceNumberID: 14, oneByteFormOnly: true)
    try leg.forward(1, as: 1)
    try leg.forward(2, as: 2)
    try leg.forward(3, as: 3)
    #expect(rewrite(leg, twoByteExample, transportSequenceNumber: 0x0102) == .success(fixedHeader + [
        0xBE, 0xDE, 0x00, 0x03,
        0x20, 0xBB, 0x33, 0xD1,
        0xD2, 0xD3, 0xD4, 0xE1,
        0x01, 0x02, 0x00, 0x00,
    ] + payload))
    // A 17-byte value is dropped too.
    let long = fixedHeader + [0x10, 0x00, 0x00, 0x05, 0x01, 0x11] + [UInt8](repeating: 7, count: 17) + [0x00] + payload
    #expect(rewrite(leg, long) == .success(fixedHeaderWithoutX + payload))
    #expect(rewrite(try mapping([(1, 1)]), long).map { $0.count } == .success(12 + 4 + 20 + 2))

    #expect(throws: RTPError.invalidExtensionID) { try leg.forward(4, as: 15) }
    #expect(throws: RTPError.invalidExtensionID) { try HeaderExtensionMapping(absoluteSendTimeID: 15, oneByteFormOnly: true) }
    #expect(throws: RTPError.extensionTooLong) {
        try HeaderExtensionMapping(mid: (id: 1, value: String(repeating: "m", count: 17)), oneByteFormOnly: true)
    }
    #expect(throws: RTPError.extensionTooLong) { try HeaderExtensionMapping(mid: (id: 1, value: ""), oneByteFormOnly: true) }
    _ = try HeaderExtensionMapping(mid: (id: 14, value: String(repeating: "m", count: 16)), oneByteFormOnly: true)
}
