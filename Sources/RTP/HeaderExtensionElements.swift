/// One RFC 8285 header extension element: its local ID and where its value lies in the packet.
public struct HeaderExtensionElement: Sendable, Equatable, Hashable {
    public let id: UInt8
    /// The value bytes, relative to the start of the packet buffer.
    public let range: Range<Int>

    public init(id: UInt8, range: Range<Int>) {
        self.id = id
        self.range = range
    }
}

/// Walks the elements of a one-byte or two-byte header extension without allocating.
///
/// Both the sequence and its iterator are this struct, which borrows the packet buffer: use it
/// only while that buffer is valid. A malformed element (length running past the extension block)
/// ends the iteration, so elements before it are still seen; `malformation` then says why, for
/// callers that must refuse such a packet rather than forward part of it.
public struct HeaderExtensionElements: Sequence, IteratorProtocol {
    private let packet: UnsafeRawBufferPointer
    private let form: HeaderExtensionForm
    private var offset: Int
    private let end: Int

    /// Why the walk stopped before the end of the block: `.truncated` when an element's length
    /// (or a two-byte element's length byte) runs past it, `.invalidExtensionID` for a non-zero
    /// byte with ID 0 in the one-byte form. Nil while walking, after a well-formed block, and after
    /// one-byte ID 15, which legitimately ends processing (RFC 8285 §4.2).
    public private(set) var malformation: RTPError?

    init(packet: UnsafeRawBufferPointer, form: HeaderExtensionForm, range: Range<Int>) {
        self.packet = packet
        self.form = form
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    public mutating func next() -> HeaderExtensionElement? {
        while offset < end {
            let byte = packet[offset]
            // RFC 8285 §4: in both forms a zero byte is padding, skipped wherever it appears.
            if byte == 0 {
                offset += 1
                continue
            }
            let id: UInt8
            let valueStart: Int
            let length: Int
            switch form {
            case .oneByte:
                id = byte >> 4
                // RFC 8285 §4.2: ID 15 ends processing; nothing after it is considered. ID 0 is
                // reserved for padding, so a non-zero byte with ID 0 is malformed.
                guard id != 15 else { return finish(nil) }
                guard id != 0 else { return finish(.invalidExtensionID) }
                length = Int(byte & 0x0F) + 1
                valueStart = offset + 1
            case .twoByte:
                id = byte
                guard offset + 2 <= end else { return finish(.truncated) }
                length = Int(packet[offset + 1])
                valueStart = offset + 2
            }
            let valueEnd = valueStart + length
            guard valueEnd <= end else { return finish(.truncated) }
            offset = valueEnd
            return HeaderExtensionElement(id: id, range: valueStart..<valueEnd)
        }
        return nil
    }

    private mutating func finish(_ malformation: RTPError?) -> HeaderExtensionElement? {
        self.malformation = malformation
        offset = end
        return nil
    }
}
