/// Where one attribute sits inside a parsed message: lets callers read values in place
/// instead of copying them out (RFC 8489 §14 TLV layout).
public struct STUNRawAttribute: Sendable, Hashable {
    public let type: STUNAttributeType
    /// Offset of the 4-byte attribute header from the start of the message.
    public let offset: Int
    /// Value length as on the wire, excluding the padding to a 4-byte boundary.
    public let length: Int

    public init(type: STUNAttributeType, offset: Int, length: Int) {
        self.type = type
        self.offset = offset
        self.length = length
    }

    public var valueOffset: Int { offset + 4 }
    /// Offset just past the value and its padding.
    public var endOffset: Int { valueOffset + (length + 3) & ~3 }

    /// The value bytes, valid as long as `message` is; `message` must be the buffer it was parsed from.
    public func value(in message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(valueOffset + length <= message.count, "attribute read against a different buffer")
        return UnsafeRawBufferPointer(rebasing: message[valueOffset..<valueOffset + length])
    }
}

/// Walks the attributes of a message without allocating. Stops (returns `nil`) at the first
/// malformed attribute; `STUNMessage(parsing:)` has already rejected such messages.
public struct STUNAttributeIterator: IteratorProtocol {
    private let message: UnsafeRawBufferPointer
    private var offset = STUNMessage.headerSize

    init(message: UnsafeRawBufferPointer) {
        self.message = message
    }

    public mutating func next() -> STUNRawAttribute? {
        guard offset + 4 <= message.count else { return nil }
        let type = STUNAttributeType(rawValue: message.loadBigEndianUInt16(at: offset))
        let length = Int(message.loadBigEndianUInt16(at: offset + 2))
        let attribute = STUNRawAttribute(type: type, offset: offset, length: length)
        guard attribute.endOffset <= message.count else { return nil }
        offset = attribute.endOffset
        return attribute
    }
}

/// `for attribute in message.attributes(in: bytes)`; only valid while `bytes` is.
public struct STUNAttributeSequence: Sequence {
    let message: UnsafeRawBufferPointer
    public func makeIterator() -> STUNAttributeIterator { STUNAttributeIterator(message: message) }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
