/// A parsed VP8 RTP payload: its descriptor, where the VP8 data begins, and what a relay needs to
/// know about the frame (RFC 7741 §4).
///
/// Parsing reads a handful of bytes and stores offsets, so it never allocates. Offsets are
/// relative to the start of the RTP payload (the bytes after the RTP header), which the mutating
/// methods take again.
public struct VP8RTPPayload: Sendable, Equatable, Hashable {
    public let descriptor: VP8PayloadDescriptor
    /// Descriptor length as received; may exceed `descriptor.encodedLength` when a sender set X
    /// with no optional fields.
    public let descriptorLength: Int
    /// The VP8 bytes after the descriptor.
    public let frameDataRange: Range<Int>
    /// The packet starts a keyframe: S = 1, PID = 0, and the inverse key frame bit P of the VP8
    /// payload header is 0 (RFC 7741 §4.3, RFC 6386 §9.1). A relay waits for this before
    /// forwarding a newly selected layer.
    public let isKeyframe: Bool
    /// Dimensions from the keyframe header; nil for other packets or a too-short first fragment.
    public let keyframeInfo: VP8KeyframeInfo?

    private let pictureIDOffset: Int?
    private let tl0PicIdxOffset: Int?

    public init(parsing payload: UnsafeRawBufferPointer) throws(VP8Error) {
        guard !payload.isEmpty else { throw .truncated }
        let first = payload[0]
        var offset = 1
        var pictureID: VP8PictureID?
        var pictureIDOffset: Int?
        var tl0PicIdx: UInt8?
        var tl0PicIdxOffset: Int?
        var temporalLayer: UInt8?
        var layerSync = false
        var keyIndex: UInt8?

        if first & 0x80 != 0 {
            guard payload.count > offset else { throw .truncated }
            let flags = payload[offset]
            offset += 1
            if flags & 0x80 != 0 {
                guard payload.count > offset else { throw .truncated }
                pictureIDOffset = offset
                let high = payload[offset]
                if high & 0x80 != 0 {
                    guard payload.count > offset + 1 else { throw .truncated }
                    pictureID = .fifteenBit(UInt16(high & 0x7F) << 8 | UInt16(payload[offset + 1]))
                    offset += 2
                } else {
                    pictureID = .sevenBit(high)
                    offset += 1
                }
            }
            if flags & 0x40 != 0 {
                guard payload.count > offset else { throw .truncated }
                tl0PicIdxOffset = offset
                tl0PicIdx = payload[offset]
                offset += 1
            }
            let hasT = flags & 0x20 != 0
            let hasK = flags & 0x10 != 0
            if hasT || hasK {
                guard payload.count > offset else { throw .truncated }
                let byte = payload[offset]
                offset += 1
                if hasT {
                    temporalLayer = byte >> 6
                    layerSync = byte & 0x20 != 0
                }
                if hasK { keyIndex = byte & 0x1F }
            }
        }

        let descriptor = VP8PayloadDescriptor(
            nonReference: first & 0x20 != 0,
            startOfPartition: first & 0x10 != 0,
            partitionIndex: first & 0x07,
            pictureID: pictureID,
            tl0PicIdx: tl0PicIdx,
            temporalLayer: temporalLayer,
            layerSync: layerSync,
            keyIndex: keyIndex)
        self.descriptor = descriptor
        self.descriptorLength = offset
        self.frameDataRange = offset..<payload.count
        self.pictureIDOffset = pictureIDOffset
        self.tl0PicIdxOffset = tl0PicIdxOffset

        // The VP8 payload header exists only in the packet that starts the frame (RFC 7741 §4.3).
        if descriptor.isStartOfFrame, offset < payload.count, payload[offset] & 0x01 == 0 {
            isKeyframe = true
            keyframeInfo = VP8KeyframeInfo(frame: UnsafeRawBufferPointer(rebasing: payload[offset...]))
        } else {
            isKeyframe = false
            keyframeInfo = nil
        }
    }

    /// Overwrites the PictureID in `payload` (the buffer this was parsed from), keeping the
    /// received field width; the value is reduced modulo 2^7 or 2^15 to fit, which is how a
    /// relay's continuous PictureID sequence wraps.
    public func rewritePictureID(_ pictureID: UInt16, in payload: UnsafeMutableRawBufferPointer) throws(VP8Error) {
        guard let offset = pictureIDOffset, let current = descriptor.pictureID else { throw .fieldAbsent }
        guard payload.count >= offset + current.encodedLength else { throw .truncated }
        switch current {
        case .sevenBit:
            payload[offset] = UInt8(pictureID & 0x7F)
        case .fifteenBit:
            payload[offset] = 0x80 | UInt8((pictureID >> 8) & 0x7F)
            payload[offset + 1] = UInt8(truncatingIfNeeded: pictureID)
        }
    }

    /// Overwrites TL0PICIDX in `payload` (the buffer this was parsed from).
    public func rewriteTL0PicIdx(_ tl0PicIdx: UInt8, in payload: UnsafeMutableRawBufferPointer) throws(VP8Error) {
        guard let offset = tl0PicIdxOffset else { throw .fieldAbsent }
        guard payload.count > offset else { throw .truncated }
        payload[offset] = tl0PicIdx
    }
}
