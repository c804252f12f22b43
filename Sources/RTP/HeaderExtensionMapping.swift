/// Rewrites a forwarded packet's RFC 8285 header extensions for one leg (publisher → subscriber).
///
/// Extension IDs are negotiated per m-section (`a=extmap`, RFC 8285 §5), so a publisher's IDs mean
/// nothing to a subscriber, and some elements are per hop: the relay writes its own mid,
/// transport-wide sequence number and abs-send-time. Built once per leg: which source elements to
/// keep and under which ID, and the IDs of the relay's own elements. Then `rewrite` copies each
/// packet into a send buffer with a new extension block, in two passes over the source elements.
///
/// A fixed-size value with no references (526 bytes): storing or copying it never
/// allocates, and neither does `rewrite`.
public struct HeaderExtensionMapping: Sendable, Hashable {
    /// Source ID → destination ID; 0 drops the element.
    private var destinations = InlineBytes256()
    private var midBytes = InlineBytes256()
    private var midLength = 0

    /// The subscriber's ID for the mid (RFC 8843 §15), written from the value given at init.
    public let midID: UInt8?
    /// The subscriber's ID for the transport-wide sequence number
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2: 16 bits, big-endian).
    public let transportSequenceNumberID: UInt8?
    /// The subscriber's ID for abs-send-time (24-bit 6.18 fixed-point seconds; `AbsoluteSendTime`).
    public let absoluteSendTimeID: UInt8?
    /// Output never uses the two-byte form: IDs are 1...14, and forwarded values that only the
    /// two-byte form can carry (empty, or over 16 bytes) are dropped.
    public let oneByteFormOnly: Bool

    /// - Parameters:
    ///   - mid: the subscriber's m-section mid and its ID; a different length from the
    ///     publisher's is fine. At most 255 bytes of UTF-8.
    ///   - transportSequenceNumberID, absoluteSendTimeID: nil when the subscriber did not
    ///     negotiate the extension.
    ///   - oneByteFormOnly: for a subscriber that did not offer `a=extmap-allow-mixed`
    ///     (RFC 8285 §6); libwebrtc sends the two-byte form only when it was negotiated.
    /// - Throws: `.invalidExtensionID` for ID 0, two of these sharing an ID, or an ID over 14 with
    ///   `oneByteFormOnly`; `.extensionTooLong` for a mid over 255 bytes (over 16, or empty, with
    ///   `oneByteFormOnly`).
    public init(
        mid: (id: UInt8, value: String)? = nil,
        transportSequenceNumberID: UInt8? = nil,
        absoluteSendTimeID: UInt8? = nil,
        oneByteFormOnly: Bool = false
    ) throws(RTPError) {
        let ids = [mid?.id, transportSequenceNumberID, absoluteSendTimeID].compactMap { $0 }
        guard !ids.contains(0), Set(ids).count == ids.count else { throw .invalidExtensionID }
        guard !oneByteFormOnly || ids.allSatisfy({ $0 <= 14 }) else { throw .invalidExtensionID }
        if let mid {
            let utf8 = mid.value.utf8
            guard utf8.count <= (oneByteFormOnly ? 16 : 255) else { throw .extensionTooLong }
            guard !oneByteFormOnly || !utf8.isEmpty else { throw .extensionTooLong }
            for (index, byte) in utf8.enumerated() { midBytes[UInt8(index)] = byte }
            midLength = utf8.count
        }
        midID = mid?.id
        self.transportSequenceNumberID = transportSequenceNumberID
        self.absoluteSendTimeID = absoluteSendTimeID
        self.oneByteFormOnly = oneByteFormOnly
    }

    /// Keeps source element `source` in forwarded packets, under ID `destination`, value unchanged
    /// (e.g. ssrc-audio-level, video-orientation). Elements never forwarded are dropped.
    ///
    /// A destination equal to one of the relay's own IDs is allowed: the source element is
    /// forwarded in packets where `rewrite` is not given that element's value.
    /// - Throws: `.invalidExtensionID` for ID 0, a destination another source already uses, or a
    ///   destination over 14 with `oneByteFormOnly`.
    public mutating func forward(_ source: UInt8, as destination: UInt8) throws(RTPError) {
        guard source != 0, destination != 0 else { throw .invalidExtensionID }
        guard !oneByteFormOnly || destination <= 14 else { throw .invalidExtensionID }
        guard !destinations.contains(destination, except: source) else { throw .invalidExtensionID }
        destinations[source] = destination
    }

    /// The destination ID source element `source` is forwarded under, or nil if it is dropped.
    public func destination(for source: UInt8) -> UInt8? {
        let id = destinations[source]
        return id == 0 ? nil : id
    }

    /// Parses `source` and rewrites it; see `rewrite(_:header:into:includeMid:transportSequenceNumber:absoluteSendTime:)`.
    public func rewrite(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        includeMid: Bool = true,
        transportSequenceNumber: UInt16? = nil,
        absoluteSendTime: UInt32? = nil
    ) throws(RTPError) -> Int {
        try rewrite(
            source, header: RTPHeader(parsing: source), into: destination, includeMid: includeMid,
            transportSequenceNumber: transportSequenceNumber, absoluteSendTime: absoluteSendTime)
    }

    /// Writes `source` (parsed as `header`) into `destination` with this leg's extensions and
    /// returns the new length.
    ///
    /// Output: the fixed header and CSRCs as in the source (X set only if an element is written),
    /// then an extension block with the forwarded elements in source order followed by the
    /// relay's own (mid, abs-send-time, transport-wide sequence number), then the payload and
    /// padding as in the source. The block uses the one-byte form (0xBEDE) when every ID is
    /// 1...14 and every value 1...16 bytes, else the two-byte form (0x1000), and is zero-padded to
    /// a 32-bit boundary (RFC 8285 §4.2, §4.3). A relay element is written when its ID is set and
    /// its value given (`includeMid` for the mid); it replaces a forwarded element with that ID.
    /// A source block with a profile other than RFC 8285's is not interpreted and is dropped.
    ///
    /// `destination` must not overlap `source`.
    /// - Throws: `.bufferTooSmall`; `.truncated` or `.invalidExtensionID` for a malformed source
    ///   extension block or a `header` that does not fit `source`; `.extensionTooLong` if the new
    ///   block would exceed the 16-bit word count.
    public func rewrite(
        _ source: UnsafeRawBufferPointer,
        header: RTPHeader,
        into destination: UnsafeMutableRawBufferPointer,
        includeMid: Bool = true,
        transportSequenceNumber: UInt16? = nil,
        absoluteSendTime: UInt32? = nil
    ) throws(RTPError) -> Int {
        let prefix = RTPHeader.fixedLength + 4 * header.csrcCount
        let tailStart = header.headerLength
        guard prefix <= tailStart, tailStart <= source.count else { throw .truncated }

        // 0 = not written in this packet.
        let midOut: UInt8 = includeMid ? midID ?? 0 : 0
        let timeOut: UInt8 = absoluteSendTime == nil ? 0 : absoluteSendTimeID ?? 0
        let sequenceOut: UInt8 = transportSequenceNumber == nil ? 0 : transportSequenceNumberID ?? 0
        /// The destination ID a source element is written under, or 0 if it is not.
        let oneByteFormOnly = oneByteFormOnly
        func forwardedID(_ element: HeaderExtensionElement) -> UInt8 {
            let id = destinations[element.id]
            if oneByteFormOnly, element.range.isEmpty || element.range.count > 16 { return 0 }
            return id == midOut || id == timeOut || id == sequenceOut ? 0 : id
        }

        // Pass 1: measure, and refuse a malformed block before writing anything.
        var block = BlockLayout()
        var elements = header.extensions(in: source)
        while let element = elements.next() {
            let id = forwardedID(element)
            if id != 0 { block.add(id: id, length: element.range.count) }
        }
        if let malformation = elements.malformation { throw malformation }
        if midOut != 0 { block.add(id: midOut, length: midLength) }
        if timeOut != 0 { block.add(id: timeOut, length: 3) }
        if sequenceOut != 0 { block.add(id: sequenceOut, length: 2) }
        let words = block.words
        guard words <= Int(UInt16.max) else { throw .extensionTooLong }
        let blockLength = block.count == 0 ? 0 : 4 + 4 * words
        let tailLength = source.count - tailStart
        let length = prefix + blockLength + tailLength
        guard destination.count >= length else { throw .bufferTooSmall }

        // Pass 2: write.
        destination.move(from: source, range: 0..<prefix, to: 0)
        destination[0] = (destination[0] & ~0x10) | (block.count == 0 ? 0 : 0x10)
        var offset = prefix
        if block.count > 0 {
            let oneByte = block.oneByte
            destination.writeUInt16(oneByte ? HeaderExtensionForm.oneByteProfile : HeaderExtensionForm.twoByteProfile, at: offset)
            destination.writeUInt16(UInt16(words), at: offset + 2)
            offset += 4
            var elements = header.extensions(in: source)
            while let element = elements.next() {
                let id = forwardedID(element)
                guard id != 0 else { continue }
                offset = destination.writeElementHeader(id: id, length: element.range.count, oneByte: oneByte, at: offset)
                destination.move(from: source, range: element.range, to: offset)
                offset += element.range.count
            }
            if midOut != 0 {
                offset = destination.writeElementHeader(id: midOut, length: midLength, oneByte: oneByte, at: offset)
                midBytes.copy(count: midLength, to: destination, at: offset)
                offset += midLength
            }
            if let absoluteSendTime, timeOut != 0 {
                offset = destination.writeElementHeader(id: timeOut, length: 3, oneByte: oneByte, at: offset)
                destination[offset] = UInt8(truncatingIfNeeded: absoluteSendTime >> 16)
                destination[offset + 1] = UInt8(truncatingIfNeeded: absoluteSendTime >> 8)
                destination[offset + 2] = UInt8(truncatingIfNeeded: absoluteSendTime)
                offset += 3
            }
            if let transportSequenceNumber, sequenceOut != 0 {
                offset = destination.writeElementHeader(id: sequenceOut, length: 2, oneByte: oneByte, at: offset)
                destination.writeUInt16(transportSequenceNumber, at: offset)
                offset += 2
            }
            // Zero bytes are padding in both forms (RFC 8285 §4).
            let blockEnd = prefix + blockLength
            while offset < blockEnd {
                destination[offset] = 0
                offset += 1
            }
        }
        destination.move(from: source, range: tailStart..<source.count, to: offset)
        return length
    }
}

/// Element count and sizes of an extension block being planned.
private struct BlockLayout {
    var count = 0
    var valueBytes = 0
    /// Whether every element so far fits the one-byte form (RFC 8285 §4.2).
    var oneByte = true

    mutating func add(id: UInt8, length: Int) {
        count += 1
        valueBytes += length
        if id > 14 || length < 1 || length > 16 { oneByte = false }
    }

    /// 32-bit words of element data, zero-padded.
    var words: Int { (count * (oneByte ? 1 : 2) + valueBytes + 3) / 4 }
}

extension UnsafeMutableRawBufferPointer {
    /// Writes an element's ID and length (RFC 8285 §4.2 / §4.3) at `offset`; returns where its
    /// value starts. The caller has checked that the form can carry `id` and `length`.
    @inline(__always)
    fileprivate func writeElementHeader(id: UInt8, length: Int, oneByte: Bool, at offset: Int) -> Int {
        if oneByte {
            self[offset] = id << 4 | UInt8(truncatingIfNeeded: length - 1)
            return offset + 1
        }
        self[offset] = id
        self[offset + 1] = UInt8(truncatingIfNeeded: length)
        return offset + 2
    }
}
