import Testing
import RTP

private func build(_ builder: RTPHeaderBuilder, payload: [UInt8] = [], padding: UInt8 = 0) -> Result<[UInt8], RTPError> {
    Result { () throws(RTPError) -> [UInt8] in try builder.packet(payload: payload, paddingLength: padding) }
}

@Test func reproducesChromiumPacketBytes() throws {
    let builder = RTPHeaderBuilder(
        marker: true, payloadType: 96, sequenceNumber: 27023, timestamp: 0xD9C2_93DA, ssrc: 0x1C64_2782,
        extensions: [
            RTPHeaderExtension(id: 2, value: [0x8F, 0xB2, 0x4C]),
            RTPHeaderExtension(id: 4, value: [0x01, 0x23]),
        ])
    #expect(builder.extensionForm == .oneByte)
    #expect(builder.encodedLength == 24)
    let payload = Array(chromiumVP8Packet[24...])
    #expect(try build(builder, payload: payload).get() == chromiumVP8Packet)
}

@Test func writeReportsBytesWrittenAndRejectsSmallBuffers() throws {
    let builder = RTPHeaderBuilder(payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [4])
    var buffer = [UInt8](repeating: 0xFF, count: 32)
    let written = buffer.withUnsafeMutableBytes { raw in
        Result { () throws(RTPError) -> Int in try builder.write(into: raw) }
    }
    #expect(written == .success(16))
    #expect(buffer[16...].allSatisfy { $0 == 0xFF })
    var small = [UInt8](repeating: 0, count: 15)
    let failed = small.withUnsafeMutableBytes { raw in
        Result { () throws(RTPError) -> Int in try builder.write(into: raw) }
    }
    #expect(failed == .failure(.bufferTooSmall))
}

@Test func roundTripWithCSRCsPaddingAndOneByteExtensions() throws {
    let builder = RTPHeaderBuilder(
        marker: false, payloadType: 127, sequenceNumber: 0xFFFF, timestamp: 0xFFFF_FFFF, ssrc: 0x0102_0304,
        csrcs: [0xA, 0xB, 0xC],
        extensions: [
            RTPHeaderExtension(id: 1, value: [0x42]),
            RTPHeaderExtension(id: 14, value: Array(repeating: 7, count: 16)),
        ])
    let payload: [UInt8] = [1, 2, 3, 4, 5]
    let bytes = try build(builder, payload: payload, padding: 3).get()
    let header = try parse(bytes).get()
    #expect(header.payloadType == 127)
    #expect(header.sequenceNumber == 0xFFFF)
    #expect(header.timestamp == 0xFFFF_FFFF)
    #expect(header.ssrc == 0x0102_0304)
    #expect(header.csrcCount == 3)
    #expect(bytes.withUnsafeBytes { buffer in (0..<3).map { header.csrc(at: $0, in: buffer) } } == [0xA, 0xB, 0xC])
    #expect(header.extensionForm == .oneByte)
    #expect(header.extensionRange!.count % 4 == 0)
    #expect(elements(bytes, header: header) == builder.extensions.map { Element(id: $0.id, value: $0.value) })
    #expect(header.paddingLength == 3)
    #expect(Array(bytes[header.payloadRange]) == payload)
    #expect(header.headerLength == builder.encodedLength)
}

@Test func choosesTwoByteFormWhenNeeded() throws {
    let cases: [[RTPHeaderExtension]] = [
        [RTPHeaderExtension(id: 15, value: [1])],                        // ID beyond 14
        [RTPHeaderExtension(id: 1, value: [])],                          // empty value
        [RTPHeaderExtension(id: 1, value: Array(repeating: 9, count: 17))],  // value beyond 16
        [RTPHeaderExtension(id: 1, value: [1]), RTPHeaderExtension(id: 200, value: [2, 3])],
    ]
    for extensions in cases {
        let builder = RTPHeaderBuilder(payloadType: 96, sequenceNumber: 5, timestamp: 6, ssrc: 7, extensions: extensions)
        #expect(builder.extensionForm == .twoByte)
        let bytes = try build(builder, payload: [0xEE]).get()
        let header = try parse(bytes).get()
        #expect(header.extensionProfile == 0x1000)
        #expect(elements(bytes, header: header) == extensions.map { Element(id: $0.id, value: $0.value) })
        #expect(Array(bytes[header.payloadRange]) == [0xEE])
    }
}

@Test func noExtensionsMeansNoXBit() throws {
    let builder = RTPHeaderBuilder(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0)
    #expect(builder.extensionForm == nil)
    let bytes = try build(builder).get()
    #expect(bytes == [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
}

@Test func rejectsUnencodableFields() {
    var builder = RTPHeaderBuilder(payloadType: 128, sequenceNumber: 0, timestamp: 0, ssrc: 0)
    #expect(build(builder) == .failure(.invalidPayloadType))
    builder.payloadType = 96
    builder.csrcs = Array(repeating: 1, count: 16)
    #expect(build(builder) == .failure(.tooManyCSRCs))
    builder.csrcs = []
    builder.extensions = [RTPHeaderExtension(id: 0, value: [1])]
    #expect(build(builder) == .failure(.invalidExtensionID))
    builder.extensions = [RTPHeaderExtension(id: 3, value: Array(repeating: 0, count: 256))]
    #expect(build(builder) == .failure(.extensionTooLong))
}

@Test func randomRoundTrips() throws {
    var rng = SplitMix64(state: 7)
    for _ in 0..<2_000 {
        var used = Set<UInt8>()
        var extensions: [RTPHeaderExtension] = []
        for _ in 0..<Int.random(in: 0...5, using: &rng) {
            let id = UInt8.random(in: 1...(Bool.random(using: &rng) ? 14 : 255), using: &rng)
            guard used.insert(id).inserted else { continue }
            let length = Int.random(in: 0...40, using: &rng)
            extensions.append(RTPHeaderExtension(id: id, value: (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        }
        let builder = RTPHeaderBuilder(
            marker: Bool.random(using: &rng), payloadType: UInt8.random(in: 0...127, using: &rng),
            sequenceNumber: .random(in: 0...UInt16.max, using: &rng), timestamp: .random(in: 0...UInt32.max, using: &rng),
            ssrc: .random(in: 0...UInt32.max, using: &rng),
            csrcs: (0..<Int.random(in: 0...15, using: &rng)).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) },
            extensions: extensions)
        let payload = (0..<Int.random(in: 0...30, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let padding = UInt8.random(in: 0...4, using: &rng)
        let bytes = try build(builder, payload: payload, padding: padding).get()
        let header = try parse(bytes).get()
        #expect(header.marker == builder.marker)
        #expect(header.payloadType == builder.payloadType)
        #expect(header.sequenceNumber == builder.sequenceNumber)
        #expect(header.timestamp == builder.timestamp)
        #expect(header.ssrc == builder.ssrc)
        #expect(header.csrcCount == builder.csrcs.count)
        #expect(header.hasExtension == !extensions.isEmpty)
        #expect(elements(bytes, header: header) == extensions.map { Element(id: $0.id, value: $0.value) })
        #expect(Array(bytes[header.payloadRange]) == payload)
        #expect(header.paddingLength == Int(padding))
    }
}
