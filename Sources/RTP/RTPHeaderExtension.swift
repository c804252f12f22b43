/// An RFC 8285 header extension element to be serialized: local ID and value.
public struct RTPHeaderExtension: Sendable, Equatable, Hashable {
    /// Local identifier negotiated via SDP `a=extmap` (RFC 8285 §5); 1...14 fits the one-byte
    /// form, 1...255 the two-byte form.
    public var id: UInt8
    public var value: [UInt8]

    public init(id: UInt8, value: [UInt8]) {
        self.id = id
        self.value = value
    }
}
