/// The four STUN message classes (RFC 8489 §3, §5).
public enum STUNMessageClass: UInt8, Sendable, Hashable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11
}

/// A STUN method; only Binding exists for ICE, but others (TURN) must still round-trip.
public struct STUNMethod: RawRepresentable, Sendable, Hashable {
    /// 12-bit method number.
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let binding = STUNMethod(rawValue: 0x001)
}

/// Method and class packed into the 14-bit message type field (RFC 8489 §5, Figure 3):
/// the class bits C1/C0 sit at bit positions 8 and 4, interleaved with the method bits.
public struct STUNMessageType: Sendable, Hashable {
    public var method: STUNMethod
    public var messageClass: STUNMessageClass

    public init(method: STUNMethod, class messageClass: STUNMessageClass) {
        self.method = method
        self.messageClass = messageClass
    }

    public static let bindingRequest = STUNMessageType(method: .binding, class: .request)
    public static let bindingIndication = STUNMessageType(method: .binding, class: .indication)
    public static let bindingSuccess = STUNMessageType(method: .binding, class: .successResponse)
    public static let bindingError = STUNMessageType(method: .binding, class: .errorResponse)

    /// Decodes the wire field; the two most significant bits must already be known to be zero.
    public init(rawValue: UInt16) {
        let m = rawValue & 0x000F | (rawValue & 0x00E0) >> 1 | (rawValue & 0x3E00) >> 2
        let c = (rawValue & 0x0010) >> 4 | (rawValue & 0x0100) >> 7
        self.init(method: STUNMethod(rawValue: m), class: STUNMessageClass(rawValue: UInt8(c))!)
    }

    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return m & 0x000F | (m & 0x0070) << 1 | (m & 0x0F80) << 2 | (c & 1) << 4 | (c & 2) << 7
    }
}
