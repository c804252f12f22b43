/// Serializes a STUN message (RFC 8489 §5, §14) into a single growing byte array.
///
/// MESSAGE-INTEGRITY and FINGERPRINT depend on everything before them, so `finish` appends them
/// last, in the order §14.5–14.7 require, after fixing up the header length each time.
public struct STUNMessageBuilder: Sendable {
    public let type: STUNMessageType
    public let transactionID: STUNTransactionID
    private var bytes: [UInt8]
    /// Value of padding bytes. RFC 8489 §14 says zero; RFC 5769's vectors use spaces, and tests set
    /// this to reproduce them exactly.
    var paddingByte: UInt8 = 0

    public init(type: STUNMessageType, transactionID: STUNTransactionID, reservingCapacity capacity: Int = 128) {
        self.type = type
        self.transactionID = transactionID
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.appendBigEndian(type.rawValue)
        bytes.appendBigEndian(UInt16(0))
        bytes.appendBigEndian(STUNMessage.magicCookie)
        transactionID.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ attribute: STUNAttribute) {
        let start = beginAttribute(attribute.type)
        switch attribute {
        case .mappedAddress(let address):
            STUNAddressCodec.encode(address, xorWith: nil, into: &bytes)
        case .xorMappedAddress(let address):
            STUNAddressCodec.encode(address, xorWith: transactionID, into: &bytes)
        case .username(let text), .software(let text):
            bytes.append(contentsOf: text.utf8)
        case .errorCode(let error):
            STUNErrorCodeCodec.encode(error, into: &bytes)
        case .unknownAttributes(let types):
            for type in types { bytes.appendBigEndian(type.rawValue) }
        case .priority(let value):
            bytes.appendBigEndian(value)
        case .useCandidate:
            break
        case .iceControlling(let tieBreaker), .iceControlled(let tieBreaker):
            bytes.appendBigEndian(tieBreaker)
        case .messageIntegrity(let value), .messageIntegritySHA256(let value), .other(_, let value):
            bytes.append(contentsOf: value)
        case .fingerprint(let value):
            bytes.appendBigEndian(value)
        }
        endAttribute(startingAt: start)
    }

    /// Appends an attribute with an arbitrary type and value, e.g. one this module does not model.
    public mutating func appendAttribute(type: STUNAttributeType, value: UnsafeRawBufferPointer) {
        let start = beginAttribute(type)
        bytes.append(contentsOf: value)
        endAttribute(startingAt: start)
    }

    /// Appends MESSAGE-INTEGRITY keyed with `integrity` (plus MESSAGE-INTEGRITY-SHA256 when
    /// `integritySHA256`; it needs the key too), then FINGERPRINT, and returns the message.
    /// ICE always uses both MESSAGE-INTEGRITY and FINGERPRINT (RFC 8445 §7.2.2).
    public consuming func finish(integrity: STUNIntegrityKey? = nil, integritySHA256: Bool = false,
                                 fingerprint: Bool = true) -> [UInt8] {
        if let key = integrity {
            // §14.5: the MAC covers the header with its length already counting this attribute.
            let start = beginAttribute(.messageIntegrity)
            bytes.append(contentsOf: repeatElement(0, count: STUNDigestSize.sha1))
            endAttribute(startingAt: start)
            setLength()
            let digest = bytes.withUnsafeBytes { key.hmac.authenticate(UnsafeRawBufferPointer(rebasing: $0[..<start])) }
            digest.withUnsafeBytes { write($0, at: start + 4) }
            if integritySHA256 {
                let start256 = beginAttribute(.messageIntegritySHA256)
                bytes.append(contentsOf: repeatElement(0, count: STUNDigestSize.sha256))
                endAttribute(startingAt: start256)
                setLength()
                let digest256 = bytes.withUnsafeBytes {
                    key.hmacSHA256.authenticate(UnsafeRawBufferPointer(rebasing: $0[..<start256]))
                }
                digest256.withUnsafeBytes { write($0, at: start256 + 4) }
            }
        }
        if fingerprint {
            let start = beginAttribute(.fingerprint)
            bytes.appendBigEndian(UInt32(0))
            endAttribute(startingAt: start)
            setLength()
            let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[..<start])) }
            bytes.withUnsafeMutableBytes { $0.storeBytes(of: (crc ^ STUNMessage.fingerprintXOR).bigEndian, toByteOffset: start + 4, as: UInt32.self) }
        }
        setLength()
        return bytes
    }

    private mutating func beginAttribute(_ type: STUNAttributeType) -> Int {
        let start = bytes.count
        bytes.appendBigEndian(type.rawValue)
        bytes.appendBigEndian(UInt16(0))
        return start
    }

    private mutating func endAttribute(startingAt start: Int) {
        let length = bytes.count - start - 4
        precondition(length <= Int(UInt16.max), "attribute value too long for STUN")
        bytes[start + 2] = UInt8(length >> 8)
        bytes[start + 3] = UInt8(truncatingIfNeeded: length)
        while bytes.count & 3 != 0 { bytes.append(paddingByte) }
    }

    private mutating func setLength() {
        let length = bytes.count - STUNMessage.headerSize
        bytes[2] = UInt8(length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
    }

    private mutating func write(_ digest: UnsafeRawBufferPointer, at offset: Int) {
        bytes.withUnsafeMutableBytes {
            UnsafeMutableRawBufferPointer(rebasing: $0[offset..<offset + digest.count]).copyMemory(from: digest)
        }
    }
}
