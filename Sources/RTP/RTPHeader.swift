/// A parsed RTP fixed header (RFC 3550 §5.1) with the offsets of its variable parts.
///
/// Parsing copies only the fixed fields; CSRCs, extension elements and the payload stay in the
/// caller's buffer and are reached through byte ranges, so parsing never allocates. Every range
/// is relative to the start of the buffer that was parsed, and the accessors that read through a
/// range take that same buffer again.
public struct RTPHeader: Sendable, Equatable, Hashable {
    /// Length of the fixed part, before CSRCs.
    public static let fixedLength = 12

    /// The P bit: the packet ends with padding whose length is its last byte.
    public let hasPadding: Bool
    /// The X bit: a header extension follows the CSRC list (RFC 3550 §5.3.1).
    public let hasExtension: Bool
    public let marker: Bool
    public let payloadType: UInt8
    public let sequenceNumber: UInt16
    public let timestamp: UInt32
    public let ssrc: UInt32
    /// The CC field, 0...15.
    public let csrcCount: Int
    /// The 16-bit "defined by profile" field of the header extension; nil when X is clear.
    public let extensionProfile: UInt16?
    /// The header extension's data, after its 4-byte profile/length word; nil when X is clear.
    public let extensionRange: Range<Int>?
    /// The payload, excluding header, extension and padding.
    public let payloadRange: Range<Int>

    /// Bytes before the payload: fixed header, CSRCs and extension.
    public var headerLength: Int { payloadRange.lowerBound }

    /// Number of padding bytes at the end of the packet, including the count byte itself.
    public let paddingLength: Int

    /// The RFC 8285 element layout implied by `extensionProfile`, or nil for none or another
    /// profile (whose contents this type does not interpret).
    public var extensionForm: HeaderExtensionForm? {
        extensionProfile.flatMap(HeaderExtensionForm.init(profile:))
    }

    /// Parses and validates an RTP header, checking every length against `packet.count`.
    public init(parsing packet: UnsafeRawBufferPointer) throws(RTPError) {
        guard packet.count >= Self.fixedLength else { throw .truncated }
        let first = packet[0]
        let version = first >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        hasPadding = first & 0x20 != 0
        hasExtension = first & 0x10 != 0
        csrcCount = Int(first & 0x0F)

        let second = packet[1]
        marker = second & 0x80 != 0
        payloadType = second & 0x7F
        sequenceNumber = packet.readUInt16(at: 2)
        timestamp = packet.readUInt32(at: 4)
        ssrc = packet.readUInt32(at: 8)

        var offset = Self.fixedLength + 4 * csrcCount
        guard packet.count >= offset else { throw .truncated }

        if hasExtension {
            // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words, then the data.
            guard packet.count >= offset + 4 else { throw .truncated }
            let profile = packet.readUInt16(at: offset)
            let words = Int(packet.readUInt16(at: offset + 2))
            let start = offset + 4
            let end = start + 4 * words
            guard packet.count >= end else { throw .truncated }
            extensionProfile = profile
            extensionRange = start..<end
            offset = end
        } else {
            extensionProfile = nil
            extensionRange = nil
        }

        var padding = 0
        if hasPadding {
            // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
            guard packet.count > offset else { throw .invalidPadding }
            padding = Int(packet[packet.count - 1])
            guard padding >= 1, padding <= packet.count - offset else { throw .invalidPadding }
        }
        paddingLength = padding
        payloadRange = offset..<(packet.count - padding)
    }

    /// The CSRC at `index`, or nil when `index` is not below `csrcCount` or `packet` is shorter
    /// than the one this header was parsed from.
    public func csrc(at index: Int, in packet: UnsafeRawBufferPointer) -> UInt32? {
        guard index >= 0, index < csrcCount else { return nil }
        let offset = Self.fixedLength + 4 * index
        guard offset + 4 <= packet.count else { return nil }
        return packet.readUInt32(at: offset)
    }

    /// The RFC 8285 elements of this packet's header extension, in packet order. Empty when the
    /// packet has no extension or one with a profile other than 0xBEDE / 0x100x.
    public func extensions(in packet: UnsafeRawBufferPointer) -> HeaderExtensionElements {
        guard let form = extensionForm, let range = extensionRange, range.upperBound <= packet.count
        else { return HeaderExtensionElements(packet: packet, form: .oneByte, range: 0..<0) }
        return HeaderExtensionElements(packet: packet, form: form, range: range)
    }

    /// The value bytes of the first extension element with `id`, or nil if there is none.
    public func extensionValueRange(id: UInt8, in packet: UnsafeRawBufferPointer) -> Range<Int>? {
        for element in extensions(in: packet) where element.id == id {
            return element.range
        }
        return nil
    }
}
