import Testing
import RTP

@Test func rewritesFixedFieldsInPlace() throws {
    var bytes = chromiumVP8Packet
    bytes.withUnsafeMutableBytes { buffer in
        guard let packet = RTPPacketRewriter(buffer) else { Issue.record("rejected valid packet"); return }
        #expect(packet.ssrc == 0x1C64_2782)
        #expect(packet.sequenceNumber == 27023)
        #expect(packet.timestamp == 0xD9C2_93DA)
        #expect(packet.payloadType == 96)
        #expect(packet.marker)
        packet.ssrc = 0xCAFE_F00D
        packet.sequenceNumber = 1
        packet.timestamp = 90_000
        packet.payloadType = 100
    }
    var header = try parse(bytes).get()
    #expect(header.ssrc == 0xCAFE_F00D)
    #expect(header.sequenceNumber == 1)
    #expect(header.timestamp == 90_000)
    #expect(header.payloadType == 100)
    #expect(header.marker)  // payload type change keeps the marker
    // Everything from the CSRC/extension area on is untouched.
    #expect(bytes[12...] == chromiumVP8Packet[12...])

    bytes.withUnsafeMutableBytes { buffer in
        let packet = RTPPacketRewriter(buffer)
        packet?.marker = false
    }
    header = try parse(bytes).get()
    #expect(!header.marker)
    #expect(header.payloadType == 100)  // marker change keeps the payload type
}

@Test func payloadTypeIsMaskedToSevenBits() throws {
    var bytes = chromiumVP8Packet
    bytes.withUnsafeMutableBytes { RTPPacketRewriter($0)?.payloadType = 0xFF }
    let header = try parse(bytes).get()
    #expect(header.payloadType == 0x7F)
    #expect(header.marker)
}

@Test func refusesShortOrNonVersion2Buffers() {
    var short = Array(chromiumVP8Packet.prefix(11))
    short.withUnsafeMutableBytes { #expect(RTPPacketRewriter($0) == nil) }
    var version1 = chromiumVP8Packet
    version1[0] = 0x50
    version1.withUnsafeMutableBytes { #expect(RTPPacketRewriter($0) == nil) }
}

@Test func overwritesExtensionValueInPlace() throws {
    var bytes = chromiumVP8Packet
    let header = try parse(bytes).get()
    /// Applies one overwrite and returns its error, if any.
    func set(_ id: UInt8, _ value: [UInt8]) -> RTPError? {
        bytes.withUnsafeMutableBytes { buffer -> RTPError? in
            guard let packet = RTPPacketRewriter(buffer) else { return .truncated }
            return value.withUnsafeBytes { raw -> RTPError? in
                do throws(RTPError) {
                    try packet.setExtensionValue(id: id, to: raw, header: header)
                    return nil
                } catch {
                    return error
                }
            }
        }
    }
    #expect(set(2, [0x01, 0x02, 0x03]) == nil)
    #expect(set(4, [0xAA]) == .extensionLengthMismatch)
    #expect(set(9, [0x00]) == .extensionNotFound)
    let reparsed = try parse(bytes).get()
    #expect(elements(bytes, header: reparsed) == [
        Element(id: 2, value: [0x01, 0x02, 0x03]),
        Element(id: 4, value: [0x01, 0x23]),
    ])
}

@Test func writesTransportSequenceNumberThroughMutableView() throws {
    var bytes = chromiumVP8Packet
    let header = try parse(bytes).get()
    bytes.withUnsafeMutableBytes { buffer in
        let value = RTPPacketRewriter(buffer)?.extensionValue(id: 4, header: header)
        #expect(value?.count == 2)
        value?.storeBytes(of: UInt16(0xBEEF).bigEndian, as: UInt16.self)
    }
    #expect(bytes[21..<23] == [0xBE, 0xEF])
    var untouched = chromiumVP8Packet
    untouched[21] = 0xBE
    untouched[22] = 0xEF
    #expect(bytes == untouched)
}
