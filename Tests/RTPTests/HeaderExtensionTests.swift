import Testing
import RTP

private func packet(profile: UInt16, data: [UInt8]) -> [UInt8] {
    precondition(data.count % 4 == 0)
    let words = UInt16(data.count / 4)
    return [0x90, 0x60, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1,
            UInt8(profile >> 8), UInt8(profile & 0xFF), UInt8(words >> 8), UInt8(words & 0xFF)]
        + data + [0xEE]
}

@Test func oneByteFormSkipsPaddingBetweenElements() throws {
    let bytes = packet(profile: 0xBEDE, data: [0x10, 0xAA, 0x00, 0x00, 0x31, 0xBB, 0xCC, 0x00])
    let header = try parse(bytes).get()
    #expect(elements(bytes, header: header) == [
        Element(id: 1, value: [0xAA]),
        Element(id: 3, value: [0xBB, 0xCC]),
    ])
    #expect(bytes[header.payloadRange] == [0xEE])
}

@Test func oneByteFormStopsAtID15() throws {
    // RFC 8285 §4.2: processing ends at ID 15; the element after it is not considered.
    let bytes = packet(profile: 0xBEDE, data: [0x10, 0xAA, 0xF0, 0x20, 0xBB, 0x00, 0x00, 0x00])
    let header = try parse(bytes).get()
    #expect(elements(bytes, header: header) == [Element(id: 1, value: [0xAA])])
    #expect(bytes.withUnsafeBytes { header.extensionValueRange(id: 2, in: $0) } == nil)
}

@Test func oneByteFormSixteenByteValue() throws {
    let value = Array(UInt8(1)...16)
    let bytes = packet(profile: 0xBEDE, data: [0xEF] + value + [0, 0, 0])
    let header = try parse(bytes).get()
    #expect(elements(bytes, header: header) == [Element(id: 14, value: value)])
}

@Test func elementOverrunningBlockEndsIteration() throws {
    // Second element claims 4 bytes but only 2 remain in the block.
    let bytes = packet(profile: 0xBEDE, data: [0x10, 0xAA, 0x00, 0x00, 0x00, 0x23, 0x01, 0x02])
    let header = try parse(bytes).get()
    #expect(elements(bytes, header: header) == [Element(id: 1, value: [0xAA])])
}

@Test func nonZeroByteWithIDZeroIsMalformed() throws {
    let bytes = packet(profile: 0xBEDE, data: [0x10, 0xAA, 0x01, 0x20, 0xBB, 0x00, 0x00, 0x00])
    let header = try parse(bytes).get()
    #expect(elements(bytes, header: header) == [Element(id: 1, value: [0xAA])])
}

@Test func twoByteFormWithAppBitsAndZeroLengthElement() throws {
    // Profile 0x1005: "appbits" 5 are free for the application (RFC 8285 §4.3).
    let bytes = packet(profile: 0x1005, data: [
        0x20, 0x00,              // ID 32, empty value
        0x00,                    // padding
        0x0F, 0x03, 1, 2, 3,     // ID 15 is an ordinary ID in this form
        0xFF, 0x01, 9,           // ID 255
        0x00,
    ])
    let header = try parse(bytes).get()
    #expect(header.extensionForm == .twoByte)
    #expect(elements(bytes, header: header) == [
        Element(id: 32, value: []),
        Element(id: 15, value: [1, 2, 3]),
        Element(id: 255, value: [9]),
    ])
    let range = try #require(bytes.withUnsafeBytes { header.extensionValueRange(id: 15, in: $0) })
    #expect(bytes[range] == [1, 2, 3])
}

@Test func twoByteFormTruncatedLengthByte() throws {
    // Last byte of the block is an ID with no room for its length byte.
    let bytes = packet(profile: 0x1000, data: [0x01, 0x01, 0xAA, 0x07])
    let header = try parse(bytes).get()
    #expect(elements(bytes, header: header) == [Element(id: 1, value: [0xAA])])
}

@Test func otherProfilesAreNotInterpreted() throws {
    let bytes = packet(profile: 0xABAC, data: [0x10, 0xAA, 0x00, 0x00])
    let header = try parse(bytes).get()
    #expect(header.extensionProfile == 0xABAC)
    #expect(header.extensionForm == nil)
    #expect(header.extensionRange == 16..<20)
    #expect(elements(bytes, header: header).isEmpty)
}

@Test func emptyExtensionBlock() throws {
    let bytes = packet(profile: 0xBEDE, data: [])
    let header = try parse(bytes).get()
    #expect(header.extensionRange == 16..<16)
    #expect(elements(bytes, header: header).isEmpty)
    #expect(header.payloadRange == 16..<17)
}

@Test func randomExtensionBlocksStayInsideTheBlock() throws {
    var rng = SplitMix64(state: 42)
    for _ in 0..<5_000 {
        let words = Int.random(in: 0...6, using: &rng)
        let data = (0..<(words * 4)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let profile: UInt16 = Bool.random(using: &rng) ? 0xBEDE : 0x1000 | UInt16.random(in: 0...15, using: &rng)
        let bytes = packet(profile: profile, data: data)
        let header = try parse(bytes).get()
        let block = try #require(header.extensionRange)
        var previousEnd = block.lowerBound
        bytes.withUnsafeBytes { buffer in
            for element in header.extensions(in: buffer) {
                #expect(element.range.lowerBound > previousEnd)  // at least the element's own header
                #expect(element.range.upperBound <= block.upperBound)
                previousEnd = element.range.upperBound
            }
        }
    }
}
