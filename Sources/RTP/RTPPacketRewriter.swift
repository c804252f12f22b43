/// Edits header fields of a received RTP packet in its own buffer.
///
/// An SFU forwards most packets after changing only SSRC, sequence number, timestamp, payload
/// type or marker (e.g. when switching simulcast layers), and sometimes an extension value such as
/// the transport-wide sequence number. These sit at fixed offsets (RFC 3550 §5.1), so they are
/// written directly without reparsing or copying the packet.
///
/// Borrows the buffer: use only while it is valid.
public struct RTPPacketRewriter {
    public let buffer: UnsafeMutableRawBufferPointer

    /// Nil unless `buffer` holds at least a fixed header with version 2; the accessors rely on it.
    public init?(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count >= RTPHeader.fixedLength, buffer[0] >> 6 == 2 else { return nil }
        self.buffer = buffer
    }

    public var marker: Bool {
        get { buffer[1] & 0x80 != 0 }
        nonmutating set { buffer[1] = (buffer[1] & 0x7F) | (newValue ? 0x80 : 0) }
    }

    /// Only the low 7 bits of a new value are stored; the marker bit is preserved.
    public var payloadType: UInt8 {
        get { buffer[1] & 0x7F }
        nonmutating set { buffer[1] = (buffer[1] & 0x80) | (newValue & 0x7F) }
    }

    public var sequenceNumber: UInt16 {
        get { UnsafeRawBufferPointer(buffer).readUInt16(at: 2) }
        nonmutating set { buffer.writeUInt16(newValue, at: 2) }
    }

    public var timestamp: UInt32 {
        get { UnsafeRawBufferPointer(buffer).readUInt32(at: 4) }
        nonmutating set { buffer.writeUInt32(newValue, at: 4) }
    }

    public var ssrc: UInt32 {
        get { UnsafeRawBufferPointer(buffer).readUInt32(at: 8) }
        nonmutating set { buffer.writeUInt32(newValue, at: 8) }
    }

    /// The writable value bytes of extension element `id`, located through `header`, which must
    /// have been parsed from this buffer. Nil if the element is absent.
    public func extensionValue(id: UInt8, header: RTPHeader) -> UnsafeMutableRawBufferPointer? {
        guard let range = header.extensionValueRange(id: id, in: UnsafeRawBufferPointer(buffer)) else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[range])
    }

    /// Overwrites the value of extension element `id`. The new value must have the element's
    /// current length: growing or shrinking it would move the payload.
    public func setExtensionValue(id: UInt8, to value: UnsafeRawBufferPointer, header: RTPHeader) throws(RTPError) {
        guard let destination = extensionValue(id: id, header: header) else { throw .extensionNotFound }
        guard destination.count == value.count else { throw .extensionLengthMismatch }
        destination.copyMemory(from: value)
    }
}
