/// Picture loss indication, PSFB FMT 1 (RFC 4585 §6.3.1). It has no FCI.
public struct PictureLossIndication: Sendable, Equatable {
    public static let format: UInt8 = 1
    public static let encodedLength = FeedbackSSRCs.prefixLength

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (ssrcs, _) = try FeedbackSSRCs.parse(packet, type: .payloadFeedback, format: Self.format)
        self.init(senderSSRC: ssrcs.sender, mediaSSRC: ssrcs.media)
    }

    /// - Returns: bytes written.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        try ensureCapacity(buffer, Self.encodedLength)
        try FeedbackSSRCs.write(
            type: .payloadFeedback, format: Self.format, packetLength: Self.encodedLength,
            sender: senderSSRC, media: mediaSSRC, into: buffer)
        return Self.encodedLength
    }

    public func build() -> [UInt8] {
        // Fixed size into a buffer of exactly that size: cannot fail.
        try! buildBytes(count: Self.encodedLength) { buffer throws(RTCPError) in try write(into: buffer) }
    }
}
