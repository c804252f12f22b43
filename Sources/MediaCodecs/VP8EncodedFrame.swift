/// One compressed VP8 frame (RFC 6386), ready for RTP packetization (RFC 7741).
public struct VP8EncodedFrame: Sendable, Equatable {
    public var data: [UInt8]
    /// Keyframes decode on their own; a receiver that lost state needs one to resume (RFC 6386 §9.1).
    public var isKeyframe: Bool
    /// Position in the encoder's input, in frames; multiply by 90 000 / frame rate for the RTP clock.
    public var frameIndex: Int

    public init(data: [UInt8], isKeyframe: Bool, frameIndex: Int) {
        self.data = data
        self.isKeyframe = isKeyframe
        self.frameIndex = frameIndex
    }
}
