/// Wire format shared by MAPPED-ADDRESS and XOR-MAPPED-ADDRESS (RFC 8489 §14.1, §14.2).
enum STUNAddressCodec {
    static let familyIPv4: UInt8 = 0x01
    static let familyIPv6: UInt8 = 0x02

    /// Decodes a value; pass the transaction ID for XOR-MAPPED-ADDRESS. `nil` if malformed.
    static func decode(_ value: UnsafeRawBufferPointer, xorWith transactionID: STUNTransactionID?) -> TransportAddress? {
        guard value.count >= 4 else { return nil }
        let family = value[1]
        var port = value.loadBigEndianUInt16(at: 2)
        let cookie = STUNMessage.magicCookie
        if transactionID != nil { port ^= UInt16(cookie >> 16) }
        switch (family, value.count) {
        case (familyIPv4, 8):
            var address = value.loadBigEndianUInt32(at: 4)
            if transactionID != nil { address ^= cookie }
            return TransportAddress(ip: .v4(address), port: port)
        case (familyIPv6, 20):
            var high = value.loadBigEndianUInt64(at: 4)
            var low = value.loadBigEndianUInt64(at: 12)
            if let id = transactionID {
                // The IPv6 mask is the magic cookie followed by the 96-bit transaction ID.
                high ^= UInt64(cookie) << 32 | UInt64(id.high)
                low ^= id.low
            }
            return TransportAddress(ip: .v6(high: high, low: low), port: port)
        default:
            return nil
        }
    }

    static func encode(_ address: TransportAddress, xorWith transactionID: STUNTransactionID?, into bytes: inout [UInt8]) {
        let cookie = STUNMessage.magicCookie
        let port = transactionID == nil ? address.port : address.port ^ UInt16(cookie >> 16)
        switch address.ip {
        case .v4(var value):
            if transactionID != nil { value ^= cookie }
            bytes.append(contentsOf: [0, familyIPv4])
            bytes.appendBigEndian(port)
            bytes.appendBigEndian(value)
        case .v6(var high, var low):
            if let id = transactionID {
                high ^= UInt64(cookie) << 32 | UInt64(id.high)
                low ^= id.low
            }
            bytes.append(contentsOf: [0, familyIPv6])
            bytes.appendBigEndian(port)
            bytes.appendBigEndian(high)
            bytes.appendBigEndian(low)
        }
    }
}

/// ERROR-CODE value layout (RFC 8489 §14.8): 21 reserved bits, 3-bit class (hundreds), 8-bit number.
enum STUNErrorCodeCodec {
    static func decode(_ value: UnsafeRawBufferPointer) -> STUNErrorCode? {
        guard value.count >= 4 else { return nil }
        let errorClass = Int(value[2] & 0x07)
        let number = Int(value[3])
        guard (3...6).contains(errorClass), number < 100 else { return nil }
        let reason = String(decoding: UnsafeRawBufferPointer(rebasing: value[4...]), as: UTF8.self)
        return STUNErrorCode(code: errorClass * 100 + number, reason: reason)
    }

    static func encode(_ error: STUNErrorCode, into bytes: inout [UInt8]) {
        precondition((300...699).contains(error.code), "ERROR-CODE must be 300–699 (RFC 8489 §14.8)")
        bytes.append(contentsOf: [0, 0, UInt8(error.code / 100), UInt8(error.code % 100)])
        // §14.8: reason is at most 127 characters; trim on a scalar boundary.
        var reason = Substring(error.reason)
        while reason.utf8.count > 763 || reason.count > 127 { reason = reason.dropLast() }
        bytes.append(contentsOf: reason.utf8)
    }
}

extension [UInt8] {
    @inline(__always)
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
