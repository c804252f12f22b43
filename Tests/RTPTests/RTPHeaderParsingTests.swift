import Testing
import RTP

@Test func parsesMinimalHeader() throws {
    let bytes: [UInt8] = [0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xDE, 0xAD, 0xBE, 0xEF, 0xAA]
    let header = try parse(bytes).get()
    #expect(!header.hasPadding)
    #expect(!header.hasExtension)
    #expect(!header.marker)
    #expect(header.payloadType == 0)
    #expect(header.sequenceNumber == 1)
    #expect(header.timestamp == 2)
    #expect(header.ssrc == 0xDEAD_BEEF)
    #expect(header.csrcCount == 0)
    #expect(header.extensionProfile == nil)
    #expect(header.extensionRange == nil)
    #expect(header.payloadRange == 12..<13)
    #expect(header.headerLength == 12)
    #expect(header.paddingLength == 0)
    #expect(elements(bytes, header: header).isEmpty)
    #expect(bytes.withUnsafeBytes { header.extensionValueRange(id: 1, in: $0) } == nil)
}

@Test func parsesChromiumVP8PacketWithExtensions() throws {
    let header = try parse(chromiumVP8Packet).get()
    #expect(header.hasExtension)
    #expect(header.marker)
    #expect(header.payloadType == 96)
    #expect(header.sequenceNumber == 27023)
    #expect(header.timestamp == 0xD9C2_93DA)
    #expect(header.ssrc == 0x1C64_2782)
    #expect(header.extensionProfile == 0xBEDE)
    #expect(header.extensionForm == .oneByte)
    #expect(header.extensionRange == 16..<24)
    #expect(header.payloadRange == 24..<chromiumVP8Packet.count)
    #expect(elements(chromiumVP8Packet, header: header) == [
        Element(id: 2, value: [0x8F, 0xB2, 0x4C]),
        Element(id: 4, value: [0x01, 0x23]),
    ])
    let tcc = try #require(chromiumVP8Packet.withUnsafeBytes { header.extensionValueRange(id: 4, in: $0) })
    #expect(tcc == 21..<23)
    #expect(chromiumVP8Packet.withUnsafeBytes { header.extensionValueRange(id: 3, in: $0) } == nil)
    #expect(chromiumVP8Packet[header.payloadRange].first == 0x90)
}

@Test func readsCSRCsByIndex() throws {
    let bytes: [UInt8] = [
        0x82, 0x6F, 0x00, 0x10, 0x00, 0x00, 0x03, 0xC0, 0x00, 0x00, 0x00, 0x01,
        0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,
        0xFC, 0xFF,
    ]
    let header = try parse(bytes).get()
    #expect(header.csrcCount == 2)
    #expect(header.payloadType == 111)
    #expect(header.payloadRange == 20..<22)
    bytes.withUnsafeBytes { buffer in
        #expect(header.csrc(at: 0, in: buffer) == 0x1111_1111)
        #expect(header.csrc(at: 1, in: buffer) == 0x2222_2222)
        #expect(header.csrc(at: 2, in: buffer) == nil)
        #expect(header.csrc(at: -1, in: buffer) == nil)
    }
    // A shorter buffer than the one parsed yields nil rather than an out-of-bounds read.
    Array(bytes.prefix(14)).withUnsafeBytes { buffer in
        #expect(header.csrc(at: 0, in: buffer) == nil)
    }
}

@Test func excludesPaddingFromPayload() throws {
    // Payload of 2 bytes followed by 4 padding bytes (count byte 4).
    let bytes: [UInt8] = [0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xAB, 0xCD, 0, 0, 0, 4]
    let header = try parse(bytes).get()
    #expect(header.hasPadding)
    #expect(header.paddingLength == 4)
    #expect(header.payloadRange == 12..<14)
}

@Test func paddingMayFillTheWholePayload() throws {
    // Padding-only packets are what congestion-control probes send.
    let bytes: [UInt8] = [0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 3]
    let header = try parse(bytes).get()
    #expect(header.paddingLength == 3)
    #expect(header.payloadRange == 12..<12)
}

@Test func rejectsInvalidPadding() {
    let base: [UInt8] = [0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]
    #expect(parse(base) == .failure(.invalidPadding))                    // no count byte
    #expect(parse(base + [0xAA, 0x00]) == .failure(.invalidPadding))     // count 0
    #expect(parse(base + [0xAA, 0x03]) == .failure(.invalidPadding))     // reaches into header
    #expect(parse(base + [0xAA, 0xFF]) == .failure(.invalidPadding))
    // With an extension, the padding must not eat into the extension either.
    let withExtension: [UInt8] = [0xB0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xBE, 0xDE, 0, 1, 0x10, 0xFF, 0, 0, 2]
    #expect(parse(withExtension) == .failure(.invalidPadding))
}

@Test func rejectsOtherVersions() {
    for version: UInt8 in [0, 1, 3] {
        var bytes = chromiumVP8Packet
        bytes[0] = (bytes[0] & 0x3F) | version << 6
        #expect(parse(bytes) == .failure(.unsupportedVersion(version)))
    }
}

@Test func everyTruncationIsRejectedOrConsistent() throws {
    let full = try parse(chromiumVP8Packet).get()
    for length in 0..<chromiumVP8Packet.count {
        let prefix = Array(chromiumVP8Packet.prefix(length))
        switch parse(prefix) {
        case .success(let header):
            // Cutting payload bytes only shortens the payload.
            #expect(length >= full.headerLength)
            #expect(header.payloadRange == full.headerLength..<length)
        case .failure(let error):
            #expect(length < full.headerLength)
            #expect(error == .truncated)
        }
    }
}

@Test func truncatedCSRCListAndExtensionHeader() {
    #expect(parse([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]) == .failure(.truncated))
    #expect(parse([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0]) == .failure(.truncated))
    // Extension length claims 2 words but only 1 follows.
    #expect(parse([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 2, 0x10, 1, 0, 0]) == .failure(.truncated))
}

@Test func randomGarbageNeverTrapsAndStaysInBounds() {
    var rng = SplitMix64(state: 0x5EED)
    for _ in 0..<20_000 {
        let length = Int.random(in: 0...64, using: &rng)
        var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // Bias towards version 2 and RFC 8285 profiles so the deeper paths are exercised.
        if length > 0, Bool.random(using: &rng) { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
        if length > 13, Bool.random(using: &rng) {
            bytes[0] &= 0xF0
            let twoByte = Bool.random(using: &rng)
            bytes[12] = twoByte ? 0x10 : 0xBE
            bytes[13] = twoByte ? 0x00 : 0xDE
        }
        guard case .success(let header) = parse(bytes) else { continue }
        #expect(header.payloadRange.lowerBound >= RTPHeader.fixedLength)
        #expect(header.payloadRange.upperBound <= bytes.count)
        if let extensionRange = header.extensionRange {
            #expect(extensionRange.upperBound <= header.payloadRange.lowerBound)
            bytes.withUnsafeBytes { buffer in
                for element in header.extensions(in: buffer) {
                    #expect(element.id != 0)
                    #expect(extensionRange.contains(element.range.lowerBound) || element.range.isEmpty)
                    #expect(element.range.upperBound <= extensionRange.upperBound)
                }
            }
        }
        bytes.withUnsafeBytes { buffer in
            for index in 0..<header.csrcCount { _ = header.csrc(at: index, in: buffer) }
        }
    }
}
