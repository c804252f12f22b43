/// A Merkle–Damgård hash whose chaining state can be saved and resumed: what HMAC needs to hash
/// the padded key blocks once and reuse them.
protocol BlockHash: Sendable {
    associatedtype Digest: DigestBytes
    static var blockSize: Int { get }
    init()
    init(resuming state: Digest, byteCount: UInt64)
    var chainingState: Digest { get }
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    mutating func finalize() -> Digest
}

protocol DigestBytes: Sendable, Equatable {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R
}

extension SHA1: BlockHash {}
extension SHA1Digest: DigestBytes {}
extension SHA256: BlockHash {}
extension SHA256Digest: DigestBytes {}

/// HMAC (RFC 2104) with the padded key blocks hashed once up front.
///
/// An ICE agent verifies every connectivity check with the same password, so precomputing the
/// inner and outer chaining states halves the per-message work and keeps verification allocation-free.
struct HMAC<Hash: BlockHash>: Sendable, Equatable {
    private let inner: Hash.Digest
    private let outer: Hash.Digest

    init(key: UnsafeRawBufferPointer) {
        var block = SHABlockBuffer()
        if key.count > Hash.blockSize {
            var hasher = Hash()
            hasher.update(key)
            hasher.finalize().withUnsafeBytes { _ = block.fill(from: $0[...]) }
        } else if !key.isEmpty {
            _ = block.fill(from: key[...])
        }
        inner = Self.chainingState(afterXORing: 0x36, with: block)
        outer = Self.chainingState(afterXORing: 0x5C, with: block)
    }

    init(key: [UInt8]) {
        self = key.withUnsafeBytes { Self(key: $0) }
    }

    /// MAC over `first` followed by `second`: STUN authenticates a patched header and then the
    /// body, and two fixed parameters avoid the array a variadic would allocate.
    func authenticate(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = .init(start: nil, count: 0))
        -> Hash.Digest
    {
        var hasher = Hash(resuming: inner, byteCount: UInt64(Hash.blockSize))
        hasher.update(first)
        hasher.update(second)
        let innerDigest = hasher.finalize()
        var outerHasher = Hash(resuming: outer, byteCount: UInt64(Hash.blockSize))
        innerDigest.withUnsafeBytes { outerHasher.update($0) }
        return outerHasher.finalize()
    }

    private static func chainingState(afterXORing pad: UInt8, with key: SHABlockBuffer) -> Hash.Digest {
        var hasher = Hash()
        key.withBlock { block in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Hash.blockSize) { scratch in
                for i in 0..<Hash.blockSize { scratch[i] = block[i] ^ pad }
                hasher.update(UnsafeRawBufferPointer(scratch))
            }
        }
        return hasher.chainingState
    }
}

typealias HMACSHA1 = HMAC<SHA1>
typealias HMACSHA256 = HMAC<SHA256>
