/// SHA-1 (RFC 3174), needed only because MESSAGE-INTEGRITY is HMAC-SHA1 (RFC 8489 §14.5).
///
/// The package may not depend on a crypto library, so this is a small, allocation-free
/// implementation: state and the partial block live inline, blocks are compressed straight
/// from the caller's buffer when aligned input allows it.
struct SHA1: Sendable {
    static let blockSize = 64
    static let digestSize = 20

    private var h0: UInt32 = 0x6745_2301
    private var h1: UInt32 = 0xEFCD_AB89
    private var h2: UInt32 = 0x98BA_DCFE
    private var h3: UInt32 = 0x1032_5476
    private var h4: UInt32 = 0xC3D2_E1F0
    /// Bytes of input absorbed so far (the length trailer is in bits, RFC 3174 §4).
    private var byteCount: UInt64 = 0
    private var pending = SHABlockBuffer()

    init() {}

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var input = bytes[...]
        byteCount &+= UInt64(bytes.count)
        if pending.count > 0 {
            let taken = pending.fill(from: input)
            input = input.dropFirst(taken)
            guard pending.isFull else { return }
            let block = pending
            block.withBlock { compress($0) }
            pending.count = 0
        }
        while input.count >= Self.blockSize {
            compress(UnsafeRawBufferPointer(rebasing: input.prefix(Self.blockSize)))
            input = input.dropFirst(Self.blockSize)
        }
        if !input.isEmpty { _ = pending.fill(from: input) }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Pads per RFC 3174 §4 and returns the digest; the hasher must not be reused afterwards.
    mutating func finalize() -> SHA1Digest {
        // 0x80, zeros up to 56 mod 64, then the 64-bit big-endian bit length: one update call.
        let bitLength = byteCount &* 8
        let padLength = (55 - Int(byteCount % 64) + 64) % 64 + 1
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: padLength + 8) { padding in
            padding.initialize(repeating: 0)
            padding[0] = 0x80
            for i in 0..<8 { padding[padLength + i] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64(i))) }
            update(UnsafeRawBufferPointer(padding))
        }
        return SHA1Digest(h0: h0, h1: h1, h2: h2, h3: h3, h4: h4)
    }

    /// Resumes from a saved chaining state; HMAC uses this to precompute its padded-key blocks.
    init(resuming digest: SHA1Digest, byteCount: UInt64) {
        (h0, h1, h2, h3, h4) = (digest.h0, digest.h1, digest.h2, digest.h3, digest.h4)
        self.byteCount = byteCount
    }

    /// Current chaining value; only meaningful on a block boundary.
    var chainingState: SHA1Digest { SHA1Digest(h0: h0, h1: h1, h2: h2, h3: h3, h4: h4) }

    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        // 16-word rolling message schedule kept on the stack (RFC 3174 §6.2, method 2).
        var w = SHAWords16()
        withUnsafeMutableBytes(of: &w) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 {
                words[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            var a = h0, b = h1, c = h2, d = h3, e = h4
            for t in 0..<80 {
                let s = t & 15
                if t >= 16 {
                    let x = words[(s + 13) & 15] ^ words[(s + 8) & 15] ^ words[(s + 2) & 15] ^ words[s]
                    words[s] = x.rotatedLeft(1)
                }
                let f: UInt32
                let k: UInt32
                switch t {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let temp = a.rotatedLeft(5) &+ f &+ e &+ k &+ words[s]
                e = d; d = c; c = b.rotatedLeft(30); b = a; a = temp
            }
            h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
        }
    }
}

/// A SHA-1 digest as five big-endian words; a value type so comparing and storing it never allocates.
struct SHA1Digest: Sendable, Equatable {
    var h0, h1, h2, h3, h4: UInt32

    /// Calls `body` with the 20 digest bytes in network order.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var words = (h0.bigEndian, h1.bigEndian, h2.bigEndian, h3.bigEndian, h4.bigEndian)
        return Swift.withUnsafeBytes(of: &words) { body($0) }
    }

    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

extension UInt32 {
    @inline(__always)
    func rotatedLeft(_ n: UInt32) -> UInt32 { (self << n) | (self >> (32 - n)) }
    @inline(__always)
    func rotatedRight(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}
