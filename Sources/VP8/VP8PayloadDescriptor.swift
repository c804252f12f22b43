/// The VP8 payload descriptor that starts every VP8 RTP payload (RFC 7741 §4.2).
///
///        0 1 2 3 4 5 6 7
///       +-+-+-+-+-+-+-+-+
///       |X|R|N|S|R| PID | (REQUIRED)
///       +-+-+-+-+-+-+-+-+
///  X:   |I|L|T|K| RSV   | (OPTIONAL)
///       +-+-+-+-+-+-+-+-+
///  I:   |M| PictureID   | (OPTIONAL, second byte when M = 1)
///       +-+-+-+-+-+-+-+-+
///  L:   |   TL0PICIDX   | (OPTIONAL)
///       +-+-+-+-+-+-+-+-+
///  T/K: |TID|Y| KEYIDX  | (OPTIONAL)
///       +-+-+-+-+-+-+-+-+
///
/// Optional fields are optionals here; the extension byte X is written exactly when one of them
/// is present. Parse with `VP8RTPPayload(parsing:)`, which also reports the parsed length.
public struct VP8PayloadDescriptor: Sendable, Equatable, Hashable {
    /// N: the frame can be dropped without affecting later frames.
    public var nonReference: Bool
    /// S: this packet starts a VP8 partition.
    public var startOfPartition: Bool
    /// PID: the partition index, 0...7.
    public var partitionIndex: UInt8
    public var pictureID: VP8PictureID?
    /// Running index of base-layer (TID 0) frames, for temporal scalability.
    public var tl0PicIdx: UInt8?
    /// TID, 0...3; present when T = 1.
    public var temporalLayer: UInt8?
    /// Y: the frame depends only on base-layer frames. Meaningful only with `temporalLayer`
    /// (RFC 7741 §4.2 says to ignore it when T = 0), so it is dropped on parse and write then.
    public var layerSync: Bool
    /// KEYIDX, 0...31; present when K = 1.
    public var keyIndex: UInt8?

    public init(
        nonReference: Bool = false,
        startOfPartition: Bool,
        partitionIndex: UInt8 = 0,
        pictureID: VP8PictureID? = nil,
        tl0PicIdx: UInt8? = nil,
        temporalLayer: UInt8? = nil,
        layerSync: Bool = false,
        keyIndex: UInt8? = nil
    ) {
        self.nonReference = nonReference
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.tl0PicIdx = tl0PicIdx
        self.temporalLayer = temporalLayer
        self.layerSync = temporalLayer != nil && layerSync
        self.keyIndex = keyIndex
    }

    /// S = 1 and PID = 0: the packet carries the first bytes of a frame, including the VP8
    /// payload header (RFC 7741 §4.3).
    public var isStartOfFrame: Bool { startOfPartition && partitionIndex == 0 }

    private var hasExtensionByte: Bool {
        pictureID != nil || tl0PicIdx != nil || temporalLayer != nil || keyIndex != nil
    }

    /// Bytes `write` produces.
    public var encodedLength: Int {
        guard hasExtensionByte else { return 1 }
        var length = 2
        length += pictureID?.encodedLength ?? 0
        if tl0PicIdx != nil { length += 1 }
        if temporalLayer != nil || keyIndex != nil { length += 1 }
        return length
    }

    /// Writes the descriptor at the start of `buffer` and returns its length.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws(VP8Error) -> Int {
        guard partitionIndex <= 7, (temporalLayer ?? 0) <= 3, (keyIndex ?? 0) <= 31 else { throw .fieldOutOfRange }
        switch pictureID {
        case .sevenBit(let id) where id > 0x7F: throw .fieldOutOfRange
        case .fifteenBit(let id) where id > 0x7FFF: throw .fieldOutOfRange
        default: break
        }
        let length = encodedLength
        guard buffer.count >= length else { throw .bufferTooSmall }

        let extended = hasExtensionByte
        buffer[0] = (extended ? 0x80 : 0) | (nonReference ? 0x20 : 0) | (startOfPartition ? 0x10 : 0) | partitionIndex
        guard extended else { return 1 }
        buffer[1] = (pictureID != nil ? 0x80 : 0) | (tl0PicIdx != nil ? 0x40 : 0)
            | (temporalLayer != nil ? 0x20 : 0) | (keyIndex != nil ? 0x10 : 0)
        var offset = 2
        switch pictureID {
        case .sevenBit(let id):
            buffer[offset] = id
            offset += 1
        case .fifteenBit(let id):
            buffer[offset] = 0x80 | UInt8(id >> 8)
            buffer[offset + 1] = UInt8(truncatingIfNeeded: id)
            offset += 2
        case nil:
            break
        }
        if let tl0PicIdx {
            buffer[offset] = tl0PicIdx
            offset += 1
        }
        if temporalLayer != nil || keyIndex != nil {
            var byte = (keyIndex ?? 0)
            if let temporalLayer { byte |= temporalLayer << 6 | (layerSync ? 0x20 : 0) }
            buffer[offset] = byte
            offset += 1
        }
        return offset
    }

    /// The descriptor as a new array, for packetizers and tests.
    public func bytes() throws(VP8Error) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: encodedLength)
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(VP8Error) -> Int in try write(into: buffer) }
        }
        _ = try result.get()
        return bytes
    }
}
