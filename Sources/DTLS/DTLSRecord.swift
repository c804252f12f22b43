/// A DTLS 1.2 record header (RFC 6347 §4.1), read in place: a datagram may hold several records.
struct DTLSRecord {
    static let headerLength = 13
    static let alert: UInt8 = 21
    static let version: UInt16 = 0xFEFD

    let contentType: UInt8
    let epoch: UInt16
    let sequence: UInt64
    /// The whole record, header included.
    let bytes: UnsafeRawBufferPointer

    var fragment: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[Self.headerLength...]) }
    /// The AEAD nonce's and additional data's 64-bit sequence number: epoch, then the 48-bit sequence.
    var epochAndSequence: UInt64 { UInt64(epoch) << 48 | sequence }

    /// The whole records in `datagram`, in order, at most `limit`; a truncated tail is left out.
    static func records(in datagram: UnsafeRawBufferPointer, limit: Int = .max) -> [DTLSRecord] {
        var records: [DTLSRecord] = []
        var offset = 0
        while datagram.count - offset >= headerLength, records.count < limit {
            let length = Int(datagram[offset + 11]) << 8 | Int(datagram[offset + 12])
            guard datagram.count - offset - headerLength >= length else { break }
            var sequence: UInt64 = 0
            for index in 5..<11 { sequence = sequence << 8 | UInt64(datagram[offset + index]) }
            records.append(DTLSRecord(
                contentType: datagram[offset],
                epoch: UInt16(datagram[offset + 3]) << 8 | UInt16(datagram[offset + 4]),
                sequence: sequence,
                bytes: UnsafeRawBufferPointer(rebasing: datagram[offset..<(offset + headerLength + length)])))
            offset += headerLength + length
        }
        return records
    }

    /// A header for a fragment of `length` bytes.
    static func header(contentType: UInt8, epochAndSequence: UInt64, length: Int) -> [UInt8] {
        var header: [UInt8] = [contentType, UInt8(version >> 8), UInt8(version & 0xFF)]
        for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: epochAndSequence >> UInt64(shift))) }
        header.append(UInt8(truncatingIfNeeded: length >> 8))
        header.append(UInt8(truncatingIfNeeded: length))
        return header
    }
}
