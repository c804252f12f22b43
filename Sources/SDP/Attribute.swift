/// One `a=` line, kept verbatim (RFC 8866 §5.13).
///
/// Descriptions store attributes raw and in order so unknown ones survive a round trip; typed views
/// (`RTPMap`, `Candidate`, ...) are parsed from them on demand and validated once at parse time.
public struct Attribute: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// The text after the first `:`; `nil` for a property attribute such as `a=rtcp-mux`.
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Builds the attribute from a typed value.
    public init<Value: SDPAttributeValue>(_ typed: Value) {
        self.init(name: Value.attributeName, value: typed.attributeValue)
    }

    /// Builds a property attribute such as `a=ice-lite`.
    public init(_ flag: FlagAttribute) {
        self.init(name: flag.rawValue)
    }

    init(fieldValue: Substring) {
        let (name, value) = fieldValue.splitOnce(":")
        self.init(name: String(name), value: value.map(String.init))
    }

    /// The text after `a=`.
    public var fieldValue: String {
        guard let value else { return name }
        return "\(name):\(value)"
    }

    /// The typed view, or `nil` if the name differs or the value does not parse.
    public func typed<Value: SDPAttributeValue>(as _: Value.Type = Value.self) -> Value? {
        guard name == Value.attributeName, let value else { return nil }
        return Value(attributeValue: Substring(value))
    }

    public var description: String { "a=\(fieldValue)" }
}

/// A value attribute with a typed representation.
public protocol SDPAttributeValue: Equatable, Sendable {
    /// The name before the `:`, e.g. `rtpmap`.
    static var attributeName: String { get }
    /// Parses the text after the `:`; `nil` if it does not match the attribute's grammar.
    init?(attributeValue: Substring)
    /// The text after the `:`.
    var attributeValue: String { get }
}
