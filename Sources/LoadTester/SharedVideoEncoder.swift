import MediaCodecs

/// One VP8 encoder whose frames every fixed-rate publisher of a run sends, each under its own SSRC, sequence
/// numbers and picture IDs. The relay forwards without decoding, so the same picture costs it what
/// different ones would; the tester encodes once per frame instead of once per publisher (a seminar's 16
/// publishers at 30 fps, one encoder each, reached 15-17 fps on the tester's core). A publisher that
/// adapts its bitrate, or sends simulcast, keeps encoders of its own. Used on the media loop only.
final class SharedVideoEncoder {
    private let encoder: VP8Encoder
    private let source: SyntheticVideoSource
    private var picture: I420Frame
    private var tick = 0
    private var encoded: (tick: Int, frame: VP8EncodedFrame?)?
    private var keyframeRequested = false
    /// Frames encoded: one per tick that any publisher sent.
    private(set) var framesEncoded = 0

    init(width: Int, height: Int, frameRate: Int, videoKbps: Int, grain: Int = 0) throws {
        encoder = try VP8Encoder(.init(width: width, height: height, frameRate: frameRate, targetBitrateKbps: videoKbps))
        source = SyntheticVideoSource(width: width, height: height, grain: grain)
        picture = I420Frame(width: width, height: height)
    }

    /// The camera ticked: the next `frame()` is a new picture.
    func advance() { tick += 1 }

    /// A publisher's receiver asked for a keyframe: the next picture encoded is one, for every publisher (the
    /// others' receivers can decode it like any other frame).
    func requestKeyframe() { keyframeRequested = true }

    /// This tick's frame, encoded by the first publisher to ask.
    func frame() -> VP8EncodedFrame? {
        if let encoded, encoded.tick == tick { return encoded.frame }
        source.render(frameIndex: framesEncoded, into: &picture)
        framesEncoded += 1
        let frame = try? encoder.encode(picture, forceKeyframe: keyframeRequested)
        keyframeRequested = false
        encoded = (tick, frame)
        return frame
    }
}
