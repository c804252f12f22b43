/// A token of `a=ice-options` (RFC 8839 §5.6).
///
/// `trickle` (RFC 8840) means candidates may arrive after the description; `ice2` (RFC 8445) that the
/// agent implements the current ICE spec.
public struct ICEOption: RawRepresentable, Equatable, Hashable, Sendable, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let trickle: ICEOption = "trickle"
    public static let ice2: ICEOption = "ice2"
}
