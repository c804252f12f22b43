/// The 96-bit transaction ID (RFC 8489 §6), stored inline so matching responses to
/// requests never allocates.
public struct STUNTransactionID: Sendable, Hashable {
    /// First 4 bytes, host order.
    public var high: UInt32
    /// Last 8 bytes, host order.
    public var low: UInt64

    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Takes exactly 12 network-order bytes; `nil` otherwise.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 12 else { return nil }
        high = bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
        low = bytes.dropFirst(4).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// RFC 8489 §6 requires IDs to be uniformly random from a cryptographically strong source;
    /// `SystemRandomNumberGenerator` is, and tests can pass a seeded generator instead.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> STUNTransactionID {
        STUNTransactionID(high: generator.next(), low: generator.next())
    }

    public static func random() -> STUNTransactionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Calls `body` with the 12 network-order bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (high.bigEndian, UInt32(low >> 32).bigEndian, UInt32(truncatingIfNeeded: low).bigEndian)
        return try Swift.withUnsafeBytes(of: &words, body)
    }
}
