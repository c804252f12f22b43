/// A run of 32-bit SSRCs inside a packet (BYE sources, REMB feedback targets), decoded on access.
public struct SSRCList: RandomAccessCollection {
    let bytes: UnsafeRawBufferPointer

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { bytes.count / 4 }

    public subscript(position: Int) -> UInt32 {
        precondition(position >= 0 && position < endIndex, "SSRC index out of range")
        return bytes.readUInt32(at: position * 4)
    }
}
