/// The fields of an outgoing RTP header, serialized per RFC 3550 §5.1 and RFC 8285.
///
/// Used where packets originate (load tester, probes, tests). A relay forwarding packets should
/// instead edit received buffers in place with `RTPPacketRewriter`.
public struct RTPHeaderBuilder: Sendable, Equatable, Hashable {
    public var marker: Bool
    /// 0...127.
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// At most 15 (RFC 3550 §5.1, CC is 4 bits).
    public var csrcs: [UInt32]
    /// Written in order. The one-byte form is used when every element allows it, else two-byte.
    public var extensions: [RTPHeaderExtension]

    public init(
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        csrcs: [UInt32] = [],
        extensions: [RTPHeaderExtension] = []
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensions = extensions
    }

    /// The element layout `write` will use: nil with no extensions; the one-byte form only when
    /// every ID is 1...14 and every value 1...16 bytes (RFC 8285 §4.2), since it is smaller and
    /// every receiver must support it; otherwise the two-byte form (RFC 8285 §4.3).
    public var extensionForm: HeaderExtensionForm? {
        guard !extensions.isEmpty else { return nil }
        for element in extensions {
            if HeaderExtensionForm.smallest(id: element.id, length: element.value.count) != .oneByte {
                return .twoByte
            }
        }
        return .oneByte
    }

    /// Bytes `write` produces, including the extension block padded to a 32-bit boundary.
    public var encodedLength: Int {
        RTPHeader.fixedLength + 4 * csrcs.count + extensionBlockLength(form: extensionForm)
    }

    /// Length of the extension header plus elements, rounded up to whole words.
    private func extensionBlockLength(form: HeaderExtensionForm?) -> Int {
        guard let form else { return 0 }
        let perElement = form == .oneByte ? 1 : 2
        var data = 0
        for element in extensions { data += perElement + element.value.count }
        return 4 + (data + 3) / 4 * 4
    }

    /// Writes the header at the start of `buffer` and returns the number of bytes written.
    ///
    /// - Parameter padding: sets the P bit; the caller appends the padding itself
    ///   (`packet(payload:paddingLength:)` does both).
    public func write(into buffer: UnsafeMutableRawBufferPointer, padding: Bool = false) throws(RTPError) -> Int {
        guard payloadType <= 0x7F else { throw .invalidPayloadType }
        guard csrcs.count <= 15 else { throw .tooManyCSRCs }
        let form = extensionForm
        for element in extensions {
            guard element.id != 0 else { throw .invalidExtensionID }
            guard element.value.count <= 255 else { throw .extensionTooLong }
        }
        let extensionLength = extensionBlockLength(form: form)
        // The extension length field counts 32-bit words in 16 bits (RFC 3550 §5.3.1).
        guard extensionLength <= 4 + 4 * Int(UInt16.max) else { throw .extensionTooLong }
        let total = RTPHeader.fixedLength + 4 * csrcs.count + extensionLength
        guard buffer.count >= total else { throw .bufferTooSmall }

        buffer[0] = 0x80 | (padding ? 0x20 : 0) | (form != nil ? 0x10 : 0) | UInt8(csrcs.count)
        buffer[1] = (marker ? 0x80 : 0) | payloadType
        buffer.writeUInt16(sequenceNumber, at: 2)
        buffer.writeUInt32(timestamp, at: 4)
        buffer.writeUInt32(ssrc, at: 8)
        var offset = RTPHeader.fixedLength
        for csrc in csrcs {
            buffer.writeUInt32(csrc, at: offset)
            offset += 4
        }

        if let form {
            let profile = form == .oneByte ? HeaderExtensionForm.oneByteProfile : HeaderExtensionForm.twoByteProfile
            buffer.writeUInt16(profile, at: offset)
            buffer.writeUInt16(UInt16((extensionLength - 4) / 4), at: offset + 2)
            let end = offset + extensionLength
            offset += 4
            for element in extensions {
                switch form {
                case .oneByte:
                    buffer[offset] = element.id << 4 | UInt8(element.value.count - 1)
                    offset += 1
                case .twoByte:
                    buffer[offset] = element.id
                    buffer[offset + 1] = UInt8(element.value.count)
                    offset += 2
                }
                for byte in element.value {
                    buffer[offset] = byte
                    offset += 1
                }
            }
            // Zero bytes are padding in both forms (RFC 8285 §4).
            while offset < end {
                buffer[offset] = 0
                offset += 1
            }
        }
        return offset
    }

    /// A complete packet: this header, `payload`, then `paddingLength` bytes of RTP padding
    /// (zeros ending in the count, RFC 3550 §5.1) when it is non-zero.
    public func packet(payload: some Collection<UInt8>, paddingLength: UInt8 = 0) throws(RTPError) -> [UInt8] {
        let headerLength = encodedLength
        var bytes = [UInt8](repeating: 0, count: headerLength)
        // `withUnsafeMutableBytes` only rethrows untyped errors, so carry the typed one out.
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(RTPError) -> Int in try write(into: buffer, padding: paddingLength > 0) }
        }
        let written = try result.get()
        assert(written == headerLength)
        bytes.append(contentsOf: payload)
        if paddingLength > 0 {
            bytes.append(contentsOf: repeatElement(0, count: Int(paddingLength) - 1))
            bytes.append(paddingLength)
        }
        return bytes
    }
}
