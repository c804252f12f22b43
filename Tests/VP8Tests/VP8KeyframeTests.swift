import Testing
import VP8

private let descriptor: [UInt8] = [0x90, 0x80, 0x80, 0x01]  // X S | I | PictureID 1

@Test func detectsKeyframeAndReadsDimensions() throws {
    let frame = vp8FrameHeader(keyframe: true, firstPartitionSize: 1234, width: 640, height: 480) + [0x11, 0x22]
    let payload = try parse(descriptor + frame).get()
    #expect(payload.isKeyframe)
    #expect(payload.keyframeInfo == VP8KeyframeInfo(width: 640, height: 480))
    #expect(payload.frameDataRange == 4..<(4 + frame.count))
}

@Test func readsScalingBitsSeparately() throws {
    let frame = vp8FrameHeader(
        keyframe: true, firstPartitionSize: 7, width: 1280, height: 720, horizontalScale: 2, verticalScale: 3)
    let info = try #require(try parse(descriptor + frame).get().keyframeInfo)
    #expect(info == VP8KeyframeInfo(width: 1280, height: 720, horizontalScale: 2, verticalScale: 3))
    // Largest 14-bit dimensions.
    let big = vp8FrameHeader(keyframe: true, firstPartitionSize: 0, width: 16383, height: 16383)
    #expect(try parse(descriptor + big).get().keyframeInfo == VP8KeyframeInfo(width: 16383, height: 16383))
}

@Test func interframeIsNotKeyframe() throws {
    let frame = vp8FrameHeader(keyframe: false, firstPartitionSize: 1234) + [0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]
    let payload = try parse(descriptor + frame).get()
    #expect(!payload.isKeyframe)
    #expect(payload.keyframeInfo == nil)
}

@Test func continuationPacketsAreNotKeyframes() throws {
    let frame = vp8FrameHeader(keyframe: true, firstPartitionSize: 1234, width: 640, height: 480)
    // S = 0: middle of the frame, so the byte after the descriptor is not a frame tag.
    #expect(try !parse([0x80, 0x80, 0x80, 0x01] + frame).get().isKeyframe)
    // S = 1 but PID = 1: start of a later partition.
    #expect(try !parse([0x91, 0x80, 0x80, 0x01] + frame).get().isKeyframe)
}

@Test func keyframeWithoutFullHeaderHasNoDimensions() throws {
    let frame = vp8FrameHeader(keyframe: true, firstPartitionSize: 1234, width: 640, height: 480)
    // Too short for the dimensions.
    let short = try parse(descriptor + frame.prefix(8)).get()
    #expect(short.isKeyframe)
    #expect(short.keyframeInfo == nil)
    // Wrong start code.
    var corrupt = frame
    corrupt[4] = 0x02
    let bad = try parse(descriptor + corrupt).get()
    #expect(bad.isKeyframe)
    #expect(bad.keyframeInfo == nil)
}

@Test func keyframeInfoFromFrameBytes() {
    let frame = vp8FrameHeader(keyframe: true, version: 1, show: false, firstPartitionSize: 99, width: 320, height: 180)
    #expect(frame.withUnsafeBytes { VP8KeyframeInfo(frame: $0) } == VP8KeyframeInfo(width: 320, height: 180))
    #expect([UInt8]().withUnsafeBytes { VP8KeyframeInfo(frame: $0) } == nil)
}
