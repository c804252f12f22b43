import Testing
import VP8

/// Feeds one frame's payloads with consecutive sequence numbers (the marker on the last), leaving
/// out the positions in `lost`; returns the frames that came out.
private func feed(
    _ payloads: [[UInt8]], to assembler: inout VP8FrameAssembler, sequence: inout UInt16, losing lost: Set<Int> = []
) -> [[UInt8]] {
    var completed: [[UInt8]] = []
    for (position, payload) in payloads.enumerated() {
        defer { sequence &+= 1 }
        if lost.contains(position) { continue }
        let marker = position == payloads.count - 1
        if let done = payload.withUnsafeBytes({ assembler.append(payload: $0, sequenceNumber: sequence, marker: marker) }) {
            completed.append(done)
        }
    }
    return completed
}

@Suite struct VP8FrameAssemblerTests {
    /// Three frames packetized, numbered and fed in order: each comes out whole at its marker.
    @Test func reassemblesConsecutiveFrames() throws {
        var packetizer = try VP8Packetizer(maxPayloadSize: 200, initialPictureID: 7)
        var assembler = VP8FrameAssembler()
        var sequence: UInt16 = 65_530  // wraps mid-run
        var rng = SplitMix64(state: 3)
        for index in 0..<3 {
            let frame = vp8FrameHeader(keyframe: index == 0, firstPartitionSize: 100, width: 320, height: 180)
                + (0..<900).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(feed(packetizer.packetize(frame), to: &assembler, sequence: &sequence) == [frame])
        }
        #expect(assembler.framesDropped == 0)
    }

    /// A lost middle packet drops that frame; the next frame, starting cleanly, comes out whole.
    @Test func dropsAFrameWithAGapAndRecoversAtTheNextStart() throws {
        var packetizer = try VP8Packetizer(maxPayloadSize: 200, initialPictureID: 0)
        var assembler = VP8FrameAssembler()
        let first = vp8FrameHeader(keyframe: true, firstPartitionSize: 50, width: 320, height: 180)
            + [UInt8](repeating: 1, count: 700)
        let second = vp8FrameHeader(keyframe: false, firstPartitionSize: 50, width: 320, height: 180)
            + [UInt8](repeating: 2, count: 500)
        var sequence: UInt16 = 100
        // The first frame's second packet is lost on the way.
        let completed = feed(packetizer.packetize(first), to: &assembler, sequence: &sequence, losing: [1])
            + feed(packetizer.packetize(second), to: &assembler, sequence: &sequence)
        #expect(completed == [second])
        #expect(assembler.framesDropped == 1)
    }

    @Test func malformedPayloadAbandonsTheFrameInProgress() throws {
        var packetizer = try VP8Packetizer(maxPayloadSize: 200, initialPictureID: 0)
        var assembler = VP8FrameAssembler()
        let frame = vp8FrameHeader(keyframe: true, firstPartitionSize: 50, width: 320, height: 180)
            + [UInt8](repeating: 9, count: 500)
        let payloads = packetizer.packetize(frame)
        _ = payloads[0].withUnsafeBytes { assembler.append(payload: $0, sequenceNumber: 1, marker: false) }
        _ = [UInt8]().withUnsafeBytes { assembler.append(payload: $0, sequenceNumber: 2, marker: false) }
        let rest = payloads[1].withUnsafeBytes { assembler.append(payload: $0, sequenceNumber: 3, marker: true) }
        #expect(rest == nil)
        #expect(assembler.framesDropped == 1)
    }
}
