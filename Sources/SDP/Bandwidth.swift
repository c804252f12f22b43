/// The `b=` field, e.g. `AS:500` or `TIAS:500000` (RFC 8866 §5.8, RFC 3890).
public struct Bandwidth: Equatable, Hashable, Sendable {
    /// `AS`, `CT`, `TIAS`, or an extension token.
    public var type: String
    /// Kilobits per second for `AS`/`CT`, bits per second for `TIAS`.
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init?(fieldValue: Substring) {
        let (type, value) = fieldValue.splitOnce(":")
        guard !type.isEmpty, !type.containsByte(" "), let value, let number = UInt64(sdpDecimal: value) else {
            return nil
        }
        self.init(type: String(type), value: number)
    }

    var fieldValue: String { "\(type):\(value)" }
}
