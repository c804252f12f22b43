import Testing
import VP8

@Test func minimalDescriptor() throws {
    // S = 1, PID = 0, no extension: the smallest legal descriptor.
    let payload = try parse([0x10, 0xAB]).get()
    #expect(payload.descriptorLength == 1)
    #expect(payload.descriptor == VP8PayloadDescriptor(startOfPartition: true))
    #expect(payload.descriptor.isStartOfFrame)
    #expect(payload.frameDataRange == 1..<2)
}

@Test func fifteenBitPictureIDAsLibwebrtcSends() throws {
    // RFC 7741 §4.2 layout: X=1 S=1 | I=1 | M=1 PictureID 4711 (0x1267).
    let payload = try parse([0x90, 0x80, 0x92, 0x67, 0xFF]).get()
    #expect(payload.descriptorLength == 4)
    #expect(payload.descriptor.pictureID == .fifteenBit(4711))
    #expect(payload.descriptor.pictureID?.value == 4711)
    #expect(payload.descriptor.tl0PicIdx == nil)
    #expect(payload.descriptor.temporalLayer == nil)
    #expect(payload.descriptor.keyIndex == nil)
}

@Test func sevenBitPictureID() throws {
    let payload = try parse([0x90, 0x80, 0x2A, 0xFF]).get()
    #expect(payload.descriptorLength == 3)
    #expect(payload.descriptor.pictureID == .sevenBit(42))
}

@Test func allOptionalFields() throws {
    // X N S PID=2 | I L T K | M PictureID 4711 | TL0PICIDX 5 | TID 2 Y KEYIDX 17
    let bytes: [UInt8] = [0xB2, 0xF0, 0x92, 0x67, 0x05, 0xB1, 0x00]
    let payload = try parse(bytes).get()
    let expected = VP8PayloadDescriptor(
        nonReference: true, startOfPartition: true, partitionIndex: 2, pictureID: .fifteenBit(4711),
        tl0PicIdx: 5, temporalLayer: 2, layerSync: true, keyIndex: 17)
    #expect(payload.descriptor == expected)
    #expect(payload.descriptorLength == 6)
    #expect(!payload.descriptor.isStartOfFrame)
    #expect(try encode(expected).get() == Array(bytes.prefix(6)))
}

@Test func temporalLayerWithoutKeyIndexAndViceVersa() throws {
    // T only: KEYIDX bits are ignored.
    let t = try parse([0x90, 0x20, 0x7F, 0x00]).get().descriptor
    #expect(t.temporalLayer == 1)
    #expect(t.layerSync)
    #expect(t.keyIndex == nil)
    // K only: TID and Y are ignored (RFC 7741 §4.2).
    let k = try parse([0x90, 0x10, 0xFF, 0x00]).get().descriptor
    #expect(k.temporalLayer == nil)
    #expect(!k.layerSync)
    #expect(k.keyIndex == 31)
}

@Test func extensionByteWithNoFieldsIsTwoBytesOnTheWire() throws {
    let payload = try parse([0x90, 0x00, 0x9D]).get()
    #expect(payload.descriptorLength == 2)
    #expect(payload.descriptor.encodedLength == 1)  // re-encoding drops the empty X byte
    #expect(payload.frameDataRange == 2..<3)
}

@Test func everyTruncationOfADescriptorIsRejected() {
    let full: [UInt8] = [0xB2, 0xF0, 0x92, 0x67, 0x05, 0xB1]
    for length in 0..<full.count {
        #expect(parse(Array(full.prefix(length))) == .failure(.truncated), "length \(length)")
    }
    // Descriptor with nothing after it is accepted: the relay can still forward it.
    #expect((try? parse(full).get().frameDataRange) == 6..<6)
}

@Test func garbageNeverTraps() {
    var rng = SplitMix64(state: 0xB00)
    for _ in 0..<20_000 {
        let bytes = (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        guard case .success(let payload) = parse(bytes) else { continue }
        #expect(payload.descriptorLength <= bytes.count)
        #expect(payload.frameDataRange.upperBound == bytes.count)
        #expect(payload.descriptor.partitionIndex <= 7)
        if payload.isKeyframe { #expect(payload.descriptor.isStartOfFrame) }
    }
}

@Test func serializationRoundTrips() throws {
    var rng = SplitMix64(state: 0xD15C)
    for _ in 0..<5_000 {
        let pictureID: VP8PictureID? = switch Int.random(in: 0...2, using: &rng) {
        case 0: nil
        case 1: .sevenBit(.random(in: 0...0x7F, using: &rng))
        default: .fifteenBit(.random(in: 0...0x7FFF, using: &rng))
        }
        let temporalLayer: UInt8? = Bool.random(using: &rng) ? .random(in: 0...3, using: &rng) : nil
        let descriptor = VP8PayloadDescriptor(
            nonReference: .random(using: &rng), startOfPartition: .random(using: &rng),
            partitionIndex: .random(in: 0...7, using: &rng), pictureID: pictureID,
            tl0PicIdx: Bool.random(using: &rng) ? .random(in: 0...255, using: &rng) : nil,
            temporalLayer: temporalLayer, layerSync: .random(using: &rng),
            keyIndex: Bool.random(using: &rng) ? .random(in: 0...31, using: &rng) : nil)
        let bytes = try encode(descriptor).get()
        #expect(bytes.count == descriptor.encodedLength)
        let parsed = try parse(bytes + [0x01]).get()
        #expect(parsed.descriptor == descriptor)
        #expect(parsed.descriptorLength == bytes.count)
    }
}

@Test func rejectsOutOfRangeFieldsAndSmallBuffers() {
    #expect(encode(VP8PayloadDescriptor(startOfPartition: true, partitionIndex: 8)) == .failure(.fieldOutOfRange))
    #expect(encode(VP8PayloadDescriptor(startOfPartition: true, temporalLayer: 4)) == .failure(.fieldOutOfRange))
    #expect(encode(VP8PayloadDescriptor(startOfPartition: true, keyIndex: 32)) == .failure(.fieldOutOfRange))
    #expect(encode(VP8PayloadDescriptor(startOfPartition: true, pictureID: .sevenBit(128))) == .failure(.fieldOutOfRange))
    #expect(encode(VP8PayloadDescriptor(startOfPartition: true, pictureID: .fifteenBit(0x8000))) == .failure(.fieldOutOfRange))
    let descriptor = VP8PayloadDescriptor(startOfPartition: true, pictureID: .fifteenBit(1))
    var small = [UInt8](repeating: 0, count: 3)
    let result = small.withUnsafeMutableBytes { buffer in
        Result { () throws(VP8Error) -> Int in try descriptor.write(into: buffer) }
    }
    #expect(result == .failure(.bufferTooSmall))
}

@Test func layerSyncIsDroppedWithoutTemporalLayer() throws {
    let descriptor = VP8PayloadDescriptor(startOfPartition: true, layerSync: true, keyIndex: 3)
    #expect(!descriptor.layerSync)
    #expect(try encode(descriptor).get() == [0x90, 0x10, 0x03])
}
