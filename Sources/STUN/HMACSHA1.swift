/// HMAC-SHA1 (RFC 2104) with the padded key blocks hashed once up front.
///
/// An ICE agent verifies every connectivity check with the same password, so precomputing the
/// inner and outer chaining states halves the per-message work and keeps verification allocation-free.
struct HMACSHA1: Sendable, Equatable {
    private let inner: SHA1Digest
    private let outer: SHA1Digest

    init(key: UnsafeRawBufferPointer) {
        var block = SHABlockBuffer()
        if key.count > SHA1.blockSize {
            var hasher = SHA1()
            hasher.update(key)
            hasher.finalize().withUnsafeBytes { _ = block.fill(from: $0[...]) }
        } else if !key.isEmpty {
            _ = block.fill(from: key[...])
        }
        inner = Self.chainingState(afterXORing: 0x36, with: block)
        outer = Self.chainingState(afterXORing: 0x5C, with: block)
    }

    init(key: [UInt8]) {
        self = key.withUnsafeBytes { HMACSHA1(key: $0) }
    }

    /// MAC over `first` followed by `second`: STUN authenticates a patched header and then the
    /// body, and two fixed parameters avoid the array a variadic would allocate.
    func authenticate(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = .init(start: nil, count: 0)) -> SHA1Digest {
        var hasher = SHA1(resuming: inner, byteCount: UInt64(SHA1.blockSize))
        hasher.update(first)
        hasher.update(second)
        let innerDigest = hasher.finalize()
        var outerHasher = SHA1(resuming: outer, byteCount: UInt64(SHA1.blockSize))
        innerDigest.withUnsafeBytes { outerHasher.update($0) }
        return outerHasher.finalize()
    }

    private static func chainingState(afterXORing pad: UInt8, with key: SHABlockBuffer) -> SHA1Digest {
        var hasher = SHA1()
        key.withBlock { block in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA1.blockSize) { scratch in
                for i in 0..<SHA1.blockSize { scratch[i] = block[i] ^ pad }
                hasher.update(UnsafeRawBufferPointer(scratch))
            }
        }
        return hasher.chainingState
    }
}
