/// A decoded attribute value. Used to build messages and to inspect every attribute of a parsed
/// one; the hot path reads the few it needs through `STUNMessage`'s offsets instead.
public enum STUNAttribute: Sendable, Hashable {
    case mappedAddress(TransportAddress)
    case xorMappedAddress(TransportAddress)
    /// RFC 8489 §14.3: at most 513 bytes of UTF-8.
    case username(String)
    case software(String)
    case errorCode(STUNErrorCode)
    /// RFC 8489 §14.9: types a 420 response did not understand.
    case unknownAttributes([STUNAttributeType])
    case priority(UInt32)
    case useCandidate
    case iceControlling(tieBreaker: UInt64)
    case iceControlled(tieBreaker: UInt64)
    /// Raw MAC values as found on the wire. `STUNMessageBuilder.finish` computes real ones;
    /// appending these copies bytes verbatim (useful only to reproduce captured messages).
    case messageIntegrity([UInt8])
    case messageIntegritySHA256([UInt8])
    case fingerprint(UInt32)
    /// Anything else, preserved byte for byte so unknown attributes survive a round trip.
    case other(type: STUNAttributeType, value: [UInt8])

    public var type: STUNAttributeType {
        switch self {
        case .mappedAddress: .mappedAddress
        case .xorMappedAddress: .xorMappedAddress
        case .username: .username
        case .software: .software
        case .errorCode: .errorCode
        case .unknownAttributes: .unknownAttributes
        case .priority: .priority
        case .useCandidate: .useCandidate
        case .iceControlling: .iceControlling
        case .iceControlled: .iceControlled
        case .messageIntegrity: .messageIntegrity
        case .messageIntegritySHA256: .messageIntegritySHA256
        case .fingerprint: .fingerprint
        case .other(let type, _): type
        }
    }

    /// Decodes `raw` from `message`. Known types with an invalid value throw
    /// `.malformedAttribute`; unknown types become `.other`.
    public init(decoding raw: STUNRawAttribute, in message: UnsafeRawBufferPointer,
                transactionID: STUNTransactionID) throws(STUNError) {
        let value = raw.value(in: message)
        func integer<T: FixedWidthInteger>(_: T.Type) throws(STUNError) -> T {
            guard value.count == MemoryLayout<T>.size else { throw .malformedAttribute(raw.type) }
            return T(bigEndian: value.loadUnaligned(as: T.self))
        }
        switch raw.type {
        case .mappedAddress:
            guard let address = STUNAddressCodec.decode(value, xorWith: nil) else { throw .malformedAttribute(raw.type) }
            self = .mappedAddress(address)
        case .xorMappedAddress:
            guard let address = STUNAddressCodec.decode(value, xorWith: transactionID) else { throw .malformedAttribute(raw.type) }
            self = .xorMappedAddress(address)
        case .username:
            self = .username(String(decoding: value, as: UTF8.self))
        case .software:
            self = .software(String(decoding: value, as: UTF8.self))
        case .errorCode:
            guard let error = STUNErrorCodeCodec.decode(value) else { throw .malformedAttribute(raw.type) }
            self = .errorCode(error)
        case .unknownAttributes:
            guard value.count % 2 == 0 else { throw .malformedAttribute(raw.type) }
            self = .unknownAttributes(stride(from: 0, to: value.count, by: 2).map {
                STUNAttributeType(rawValue: value.loadBigEndianUInt16(at: $0))
            })
        case .priority:
            self = .priority(try integer(UInt32.self))
        case .useCandidate:
            guard value.isEmpty else { throw .malformedAttribute(raw.type) }
            self = .useCandidate
        case .iceControlling:
            self = .iceControlling(tieBreaker: try integer(UInt64.self))
        case .iceControlled:
            self = .iceControlled(tieBreaker: try integer(UInt64.self))
        case .messageIntegrity:
            guard value.count == STUNDigestSize.sha1 else { throw .malformedAttribute(raw.type) }
            self = .messageIntegrity(Array(value))
        case .messageIntegritySHA256:
            self = .messageIntegritySHA256(Array(value))
        case .fingerprint:
            self = .fingerprint(try integer(UInt32.self))
        default:
            self = .other(type: raw.type, value: Array(value))
        }
    }
}
