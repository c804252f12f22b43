/// HMAC-SHA256 (RFC 2104) with precomputed pad states, for MESSAGE-INTEGRITY-SHA256.
struct HMACSHA256: Sendable, Equatable {
    private let inner: SHA256Digest
    private let outer: SHA256Digest

    init(key: UnsafeRawBufferPointer) {
        var block = SHABlockBuffer()
        if key.count > SHA256.blockSize {
            var hasher = SHA256()
            hasher.update(key)
            hasher.finalize().withUnsafeBytes { _ = block.fill(from: $0[...]) }
        } else if !key.isEmpty {
            _ = block.fill(from: key[...])
        }
        inner = Self.chainingState(afterXORing: 0x36, with: block)
        outer = Self.chainingState(afterXORing: 0x5C, with: block)
    }

    init(key: [UInt8]) {
        self = key.withUnsafeBytes { HMACSHA256(key: $0) }
    }

    func authenticate(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = .init(start: nil, count: 0)) -> SHA256Digest {
        var hasher = SHA256(resuming: inner, byteCount: UInt64(SHA256.blockSize))
        hasher.update(first)
        hasher.update(second)
        let innerDigest = hasher.finalize()
        var outerHasher = SHA256(resuming: outer, byteCount: UInt64(SHA256.blockSize))
        innerDigest.withUnsafeBytes { outerHasher.update($0) }
        return outerHasher.finalize()
    }

    private static func chainingState(afterXORing pad: UInt8, with key: SHABlockBuffer) -> SHA256Digest {
        var hasher = SHA256()
        key.withBlock { block in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256.blockSize) { scratch in
                for i in 0..<SHA256.blockSize { scratch[i] = block[i] ^ pad }
                hasher.update(UnsafeRawBufferPointer(scratch))
            }
        }
        return hasher.chainingState
    }
}
