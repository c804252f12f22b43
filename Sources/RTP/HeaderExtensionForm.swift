/// The two RFC 8285 element layouts, told apart by the extension's profile field.
public enum HeaderExtensionForm: Sendable, Equatable, Hashable {
    /// Profile 0xBEDE: one byte of ID (1...14) and length-minus-one, values 1...16 bytes
    /// (RFC 8285 §4.2).
    case oneByte
    /// Profile 0x100x (the low 4 "appbits" are free): one byte ID (1...255), one byte length,
    /// values 0...255 bytes (RFC 8285 §4.3).
    case twoByte

    public static let oneByteProfile: UInt16 = 0xBEDE
    public static let twoByteProfile: UInt16 = 0x1000

    /// The form for an extension `profile`, or nil if it is not an RFC 8285 profile.
    public init?(profile: UInt16) {
        if profile == Self.oneByteProfile {
            self = .oneByte
        } else if profile & 0xFFF0 == Self.twoByteProfile {
            self = .twoByte
        } else {
            return nil
        }
    }

    /// The cheapest form that can carry an element with this ID and value length, or nil if
    /// none can (ID 0, or a value over 255 bytes).
    static func smallest(id: UInt8, length: Int) -> HeaderExtensionForm? {
        guard id != 0, length <= 255 else { return nil }
        if id <= 14 && length >= 1 && length <= 16 { return .oneByte }
        return .twoByte
    }
}
