/// A parsed STUN message (RFC 8489 §5–6) that records *where* things are instead of copying them.
///
/// Parsing validates the header and every attribute's framing once, decodes the fixed-size ICE
/// attributes eagerly (they are just integers), and remembers the offsets of the variable-length
/// ones. Nothing is allocated; reading a variable-length value needs the original bytes again,
/// which is why those accessors take `in bytes:`.
public struct STUNMessage: Sendable, Hashable {
    public static let headerSize = 20
    /// RFC 8489 §6.
    public static let magicCookie: UInt32 = 0x2112_A442
    /// XORed into the CRC-32 so FINGERPRINT never collides with another protocol's checksum (§14.7).
    static let fingerprintXOR: UInt32 = 0x5354_554E

    public let type: STUNMessageType
    public let transactionID: STUNTransactionID
    /// Total size in bytes, header included.
    public let count: Int

    // First occurrence of each attribute the relay reads (RFC 8489 §14: later duplicates are ignored).
    public let username: STUNRawAttribute?
    public let messageIntegrity: STUNRawAttribute?
    public let messageIntegritySHA256: STUNRawAttribute?
    public let fingerprint: STUNRawAttribute?
    public let xorMappedAddressAttribute: STUNRawAttribute?
    public let mappedAddressAttribute: STUNRawAttribute?
    public let errorCodeAttribute: STUNRawAttribute?
    public let softwareAttribute: STUNRawAttribute?

    /// PRIORITY (RFC 8445 §7.1.1).
    public let priority: UInt32?
    /// USE-CANDIDATE present (RFC 8445 §7.1.2).
    public let useCandidate: Bool
    /// Tie-breaker from ICE-CONTROLLING (RFC 8445 §7.1.3).
    public let iceControlling: UInt64?
    /// Tie-breaker from ICE-CONTROLLED.
    public let iceControlled: UInt64?
    /// Comprehension-required attributes this implementation does not understand, counted so a
    /// server can answer 420 (RFC 8489 §6.3.1); list them with `unknownComprehensionRequired(in:)`.
    public let unknownComprehensionRequiredCount: Int

    /// Attribute types this parser understands; anything else below 0x8000 triggers 420.
    static func isKnown(_ type: STUNAttributeType) -> Bool {
        switch type {
        case .mappedAddress, .username, .messageIntegrity, .errorCode, .unknownAttributes, .realm,
             .nonce, .messageIntegritySHA256, .userhash, .xorMappedAddress, .priority, .useCandidate:
            return true
        default:
            return !type.isComprehensionRequired
        }
    }

    /// Reads only the fixed header. Useful for demultiplexing (RFC 7983 §7) and for answering a
    /// request whose attributes are malformed with 400. `nil` if this is not STUN.
    public static func peekHeader(_ bytes: UnsafeRawBufferPointer) -> (type: STUNMessageType, transactionID: STUNTransactionID, length: Int)? {
        guard bytes.count >= headerSize else { return nil }
        let rawType = bytes.loadBigEndianUInt16(at: 0)
        guard rawType & 0xC000 == 0, bytes.loadBigEndianUInt32(at: 4) == magicCookie else { return nil }
        let transactionID = STUNTransactionID(high: bytes.loadBigEndianUInt32(at: 8), low: bytes.loadBigEndianUInt64(at: 12))
        return (STUNMessageType(rawValue: rawType), transactionID, Int(bytes.loadBigEndianUInt16(at: 2)))
    }

    /// Parses one complete message occupying all of `bytes` (one UDP datagram).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(STUNError) {
        guard bytes.count >= Self.headerSize else { throw .truncated }
        guard let header = Self.peekHeader(bytes) else { throw .notSTUN }
        guard header.length & 3 == 0 else { throw .invalidLength }
        guard Self.headerSize + header.length <= bytes.count else { throw .truncated }
        guard Self.headerSize + header.length == bytes.count else { throw .invalidLength }

        type = header.type
        transactionID = header.transactionID
        count = bytes.count

        var username, integrity, integritySHA256, fingerprint, xorMapped, mapped, errorCode, software: STUNRawAttribute?
        var priority: UInt32?
        var useCandidate = false
        var controlling, controlled: UInt64?
        var unknownCount = 0

        var offset = Self.headerSize
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .malformedAttribute(STUNAttributeType(rawValue: 0)) }
            let attribute = STUNRawAttribute(
                type: STUNAttributeType(rawValue: bytes.loadBigEndianUInt16(at: offset)),
                offset: offset,
                length: Int(bytes.loadBigEndianUInt16(at: offset + 2)))
            guard attribute.endOffset <= bytes.count else { throw .malformedAttribute(attribute.type) }
            offset = attribute.endOffset

            guard fingerprint == nil else { throw .attributeAfterFingerprint }
            // §14.5/§14.6: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
            // count; after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT. Others are ignored.
            if integritySHA256 != nil, attribute.type != .fingerprint { continue }
            if integrity != nil, attribute.type != .fingerprint, attribute.type != .messageIntegritySHA256 { continue }

            let value = attribute.valueOffset
            switch attribute.type {
            case .username:
                if username == nil { username = attribute }
            case .messageIntegrity:
                guard attribute.length == STUNDigestSize.sha1 else { throw .malformedAttribute(attribute.type) }
                integrity = attribute
            case .messageIntegritySHA256:
                // §14.6: 16 to 32 bytes, a multiple of 4.
                guard (16...32).contains(attribute.length), attribute.length & 3 == 0 else {
                    throw .malformedAttribute(attribute.type)
                }
                integritySHA256 = attribute
            case .fingerprint:
                guard attribute.length == 4 else { throw .malformedAttribute(attribute.type) }
                fingerprint = attribute
            case .xorMappedAddress:
                if xorMapped == nil { xorMapped = attribute }
            case .mappedAddress:
                if mapped == nil { mapped = attribute }
            case .errorCode:
                // §14.8: 4-byte class/number header plus a reason of at most 763 bytes.
                guard (4...767).contains(attribute.length) else { throw .malformedAttribute(attribute.type) }
                if errorCode == nil { errorCode = attribute }
            case .software:
                if software == nil { software = attribute }
            case .priority:
                guard attribute.length == 4 else { throw .malformedAttribute(attribute.type) }
                if priority == nil { priority = bytes.loadBigEndianUInt32(at: value) }
            case .useCandidate:
                guard attribute.length == 0 else { throw .malformedAttribute(attribute.type) }
                useCandidate = true
            case .iceControlling:
                guard attribute.length == 8 else { throw .malformedAttribute(attribute.type) }
                if controlling == nil { controlling = bytes.loadBigEndianUInt64(at: value) }
            case .iceControlled:
                guard attribute.length == 8 else { throw .malformedAttribute(attribute.type) }
                if controlled == nil { controlled = bytes.loadBigEndianUInt64(at: value) }
            default:
                if !Self.isKnown(attribute.type) { unknownCount += 1 }
            }
        }

        self.username = username
        self.messageIntegrity = integrity
        self.messageIntegritySHA256 = integritySHA256
        self.fingerprint = fingerprint
        self.xorMappedAddressAttribute = xorMapped
        self.mappedAddressAttribute = mapped
        self.errorCodeAttribute = errorCode
        self.softwareAttribute = software
        self.priority = priority
        self.useCandidate = useCandidate
        self.iceControlling = controlling
        self.iceControlled = controlled
        self.unknownComprehensionRequiredCount = unknownCount
    }

    public init(parsing bytes: [UInt8]) throws(STUNError) {
        // `withUnsafeBytes` cannot forward a typed error, so carry it out as a Result.
        let result = bytes.withUnsafeBytes { raw -> Result<STUNMessage, STUNError> in
            do throws(STUNError) { return .success(try STUNMessage(parsing: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// All attributes in wire order, including ones after MESSAGE-INTEGRITY that parsing ignored.
    public func attributes(in bytes: UnsafeRawBufferPointer) -> STUNAttributeSequence {
        precondition(bytes.count == count, "attributes read against a different buffer")
        return STUNAttributeSequence(message: bytes)
    }
}

// MARK: - Variable-length values

extension STUNMessage {
    /// USERNAME as raw bytes, for allocation-free comparison against expected credentials.
    public func usernameBytes(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        username?.value(in: bytes)
    }

    public func username(in bytes: UnsafeRawBufferPointer) -> String? {
        username.map { String(decoding: $0.value(in: bytes), as: UTF8.self) }
    }

    public func software(in bytes: UnsafeRawBufferPointer) -> String? {
        softwareAttribute.map { String(decoding: $0.value(in: bytes), as: UTF8.self) }
    }

    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2); `nil` if absent or malformed.
    public func xorMappedAddress(in bytes: UnsafeRawBufferPointer) -> TransportAddress? {
        xorMappedAddressAttribute.flatMap {
            STUNAddressCodec.decode($0.value(in: bytes), xorWith: transactionID)
        }
    }

    /// MAPPED-ADDRESS (RFC 8489 §14.1), kept for RFC 3489-era servers.
    public func mappedAddress(in bytes: UnsafeRawBufferPointer) -> TransportAddress? {
        mappedAddressAttribute.flatMap { STUNAddressCodec.decode($0.value(in: bytes), xorWith: nil) }
    }

    public func errorCode(in bytes: UnsafeRawBufferPointer) -> STUNErrorCode? {
        errorCodeAttribute.flatMap { STUNErrorCodeCodec.decode($0.value(in: bytes)) }
    }

    /// The comprehension-required attribute types not understood, for UNKNOWN-ATTRIBUTES in a 420.
    public func unknownComprehensionRequired(in bytes: UnsafeRawBufferPointer) -> [STUNAttributeType] {
        guard unknownComprehensionRequiredCount > 0 else { return [] }
        var result: [STUNAttributeType] = []
        let limit = messageIntegrity?.offset ?? messageIntegritySHA256?.offset ?? count
        for attribute in attributes(in: bytes) where attribute.offset < limit && !Self.isKnown(attribute.type) {
            if !result.contains(attribute.type) { result.append(attribute.type) }
        }
        return result
    }
}

// MARK: - Integrity and fingerprint

extension STUNMessage {
    /// Checks MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the message up to the attribute,
    /// with the header length rewritten as if MESSAGE-INTEGRITY were the last attribute.
    /// `false` if the attribute is absent.
    public func verifyIntegrity(key: STUNIntegrityKey, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let attribute = messageIntegrity else { return false }
        precondition(bytes.count == count, "integrity checked against a different buffer")
        let digest = Self.withPatchedHeader(bytes, through: attribute) { header, body in
            key.hmac.authenticate(header, body)
        }
        return digest.withUnsafeBytes { constantTimeEqual($0, attribute.value(in: bytes)) }
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), whose value may be a truncated HMAC.
    public func verifyIntegritySHA256(key: STUNIntegrityKey, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let attribute = messageIntegritySHA256 else { return false }
        precondition(bytes.count == count, "integrity checked against a different buffer")
        // When MESSAGE-INTEGRITY precedes it, the SHA-256 MAC still covers everything before itself.
        let digest = Self.withPatchedHeader(bytes, through: attribute) { header, body in
            key.hmacSHA256.authenticate(header, body)
        }
        let expected = attribute.value(in: bytes)
        return digest.withUnsafeBytes {
            constantTimeEqual(UnsafeRawBufferPointer(rebasing: $0.prefix(expected.count)), expected)
        }
    }

    /// Checks FINGERPRINT (RFC 8489 §14.7): CRC-32 of everything before it, XOR 0x5354554E.
    /// `false` if absent.
    public func verifyFingerprint(in bytes: UnsafeRawBufferPointer) -> Bool {
        guard let attribute = fingerprint else { return false }
        precondition(bytes.count == count, "fingerprint checked against a different buffer")
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[..<attribute.offset]))
        return crc ^ Self.fingerprintXOR == bytes.loadBigEndianUInt32(at: attribute.valueOffset)
    }

    /// Calls `body` with the type and a length rewritten to end just after `attribute`, then the
    /// bytes between the header's length field and `attribute` — exactly what the MAC covers.
    private static func withPatchedHeader<R>(
        _ bytes: UnsafeRawBufferPointer, through attribute: STUNRawAttribute,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R
    ) -> R {
        var prefix = (bytes.loadBigEndianUInt16(at: 0).bigEndian, UInt16(attribute.endOffset - headerSize).bigEndian)
        return withUnsafeBytes(of: &prefix) { prefix in
            body(prefix, UnsafeRawBufferPointer(rebasing: bytes[4..<attribute.offset]))
        }
    }
}

/// Compares MACs without an early exit, so timing does not reveal how many leading bytes matched.
func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
}
