import Testing
import VP8

/// Receiver-side reassembly per RFC 7741 §4.5, used to check the packetizer independently.
private func reassemble(_ payloads: [[UInt8]]) throws -> (frame: [UInt8], pictureID: UInt16?) {
    var frame: [UInt8] = []
    var pictureID: UInt16?
    for (index, bytes) in payloads.enumerated() {
        let payload = try parse(bytes).get()
        #expect(payload.descriptor.isStartOfFrame == (index == 0))
        if index == 0 { pictureID = payload.descriptor.pictureID?.value }
        #expect(payload.descriptor.pictureID?.value == pictureID)
        frame += bytes[payload.frameDataRange]
    }
    return (frame, pictureID)
}

@Test func splitsAndReassemblesKeyframe() throws {
    var packetizer = try VP8Packetizer(maxPayloadSize: 100, initialPictureID: 500)
    var rng = SplitMix64(state: 1)
    let body = (0..<1_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
    let frame = vp8FrameHeader(keyframe: true, firstPartitionSize: 300, width: 640, height: 360) + body
    let payloads = packetizer.packetize(frame)
    #expect(payloads.count == (frame.count + 95) / 96)
    #expect(payloads.allSatisfy { $0.count <= 100 })
    let sizes = payloads.map(\.count)
    #expect(sizes.max()! - sizes.min()! <= 1)  // balanced fragments
    let (reassembled, pictureID) = try reassemble(payloads)
    #expect(reassembled == frame)
    #expect(pictureID == 500)
    let first = try parse(payloads[0]).get()
    #expect(first.isKeyframe)
    #expect(first.keyframeInfo == VP8KeyframeInfo(width: 640, height: 360))
    #expect(try !parse(payloads[1]).get().isKeyframe)
}

@Test func pictureIDIncrementsPerFrameAndWraps() throws {
    var packetizer = try VP8Packetizer(maxPayloadSize: 1200, initialPictureID: 0x7FFE)
    var seen: [UInt16?] = []
    for _ in 0..<3 {
        seen.append(try reassemble(packetizer.packetize([0x01, 0x02, 0x03])).pictureID)
    }
    #expect(seen == [0x7FFE, 0x7FFF, 0])
    #expect(packetizer.nextPictureID == 1)
}

@Test func randomFramesSurviveRoundTrip() throws {
    var rng = SplitMix64(state: 2)
    for _ in 0..<300 {
        let maxSize = Int.random(in: 5...1200, using: &rng)
        var packetizer = try VP8Packetizer(maxPayloadSize: maxSize)
        let frame = (0..<Int.random(in: 1...5_000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let payloads = packetizer.packetize(frame)
        #expect(payloads.allSatisfy { $0.count <= maxSize && $0.count > VP8Packetizer.descriptorLength })
        #expect(try reassemble(payloads).frame == frame)
    }
}

@Test func exactFitProducesOnePacket() throws {
    var packetizer = try VP8Packetizer(maxPayloadSize: 14)
    #expect(packetizer.packetize(Array(repeating: 7, count: 10)).count == 1)
    #expect(packetizer.packetize(Array(repeating: 7, count: 11)).count == 2)
}

@Test func nonReferenceFlagIsCarried() throws {
    var packetizer = try VP8Packetizer(maxPayloadSize: 10)
    let payloads = packetizer.packetize(Array(repeating: 1, count: 20), nonReference: true)
    #expect(try payloads.allSatisfy { try parse($0).get().descriptor.nonReference })
}

@Test func emptyFrameAndTinyLimit() throws {
    var packetizer = try VP8Packetizer(maxPayloadSize: 100, initialPictureID: 9)
    #expect(packetizer.packetize([]).isEmpty)
    #expect(packetizer.nextPictureID == 9)
    let tooSmall = Result { () throws(VP8Error) in try VP8Packetizer(maxPayloadSize: 4) }
    guard case .failure(let error) = tooSmall else { Issue.record("expected failure"); return }
    #expect(error == .payloadSizeTooSmall)
}
