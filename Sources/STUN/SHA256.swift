/// SHA-256 (FIPS 180-4), only for MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
/// Same allocation-free structure as `SHA1`.
struct SHA256: Sendable {
    static let blockSize = 64

    private var state = SHA256Digest(words: (
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A,
        0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19))
    private var byteCount: UInt64 = 0
    private var pending = SHABlockBuffer()

    init() {}

    init(resuming digest: SHA256Digest, byteCount: UInt64) {
        state = digest
        self.byteCount = byteCount
    }

    var chainingState: SHA256Digest { state }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var input = bytes[...]
        byteCount &+= UInt64(bytes.count)
        if pending.count > 0 {
            input = input.dropFirst(pending.fill(from: input))
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

    mutating func finalize() -> SHA256Digest {
        // 0x80, zeros up to 56 mod 64, then the 64-bit big-endian bit length: one update call.
        let bitLength = byteCount &* 8
        let padLength = (55 - Int(byteCount % 64) + 64) % 64 + 1
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: padLength + 8) { padding in
            padding.initialize(repeating: 0)
            padding[0] = 0x80
            for i in 0..<8 { padding[padLength + i] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64(i))) }
            update(UnsafeRawBufferPointer(padding))
        }
        return state
    }

    private static let k: [UInt32] = [
        0x428A_2F98, 0x7137_4491, 0xB5C0_FBCF, 0xE9B5_DBA5, 0x3956_C25B, 0x59F1_11F1, 0x923F_82A4, 0xAB1C_5ED5,
        0xD807_AA98, 0x1283_5B01, 0x2431_85BE, 0x550C_7DC3, 0x72BE_5D74, 0x80DE_B1FE, 0x9BDC_06A7, 0xC19B_F174,
        0xE49B_69C1, 0xEFBE_4786, 0x0FC1_9DC6, 0x240C_A1CC, 0x2DE9_2C6F, 0x4A74_84AA, 0x5CB0_A9DC, 0x76F9_88DA,
        0x983E_5152, 0xA831_C66D, 0xB003_27C8, 0xBF59_7FC7, 0xC6E0_0BF3, 0xD5A7_9147, 0x06CA_6351, 0x1429_2967,
        0x27B7_0A85, 0x2E1B_2138, 0x4D2C_6DFC, 0x5338_0D13, 0x650A_7354, 0x766A_0ABB, 0x81C2_C92E, 0x9272_2C85,
        0xA2BF_E8A1, 0xA81A_664B, 0xC24B_8B70, 0xC76C_51A3, 0xD192_E819, 0xD699_0624, 0xF40E_3585, 0x106A_A070,
        0x19A4_C116, 0x1E37_6C08, 0x2748_774C, 0x34B0_BCB5, 0x391C_0CB3, 0x4ED8_AA4A, 0x5B9C_CA4F, 0x682E_6FF3,
        0x748F_82EE, 0x78A5_636F, 0x84C8_7814, 0x8CC7_0208, 0x90BE_FFFA, 0xA450_6CEB, 0xBEF9_A3F7, 0xC671_78F2,
    ]

    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        var w = SHAWords16()
        withUnsafeMutableBytes(of: &w) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 {
                words[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            var (a, b, c, d, e, f, g, h) = state.words
            Self.k.withUnsafeBufferPointer { k in
                for t in 0..<64 {
                    let s = t & 15
                    if t >= 16 {
                        let w15 = words[(s + 1) & 15], w2 = words[(s + 14) & 15]
                        let s0 = w15.rotatedRight(7) ^ w15.rotatedRight(18) ^ (w15 >> 3)
                        let s1 = w2.rotatedRight(17) ^ w2.rotatedRight(19) ^ (w2 >> 10)
                        words[s] = words[s] &+ s0 &+ words[(s + 9) & 15] &+ s1
                    }
                    let sigma1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let choose = (e & f) ^ (~e & g)
                    let t1 = h &+ sigma1 &+ choose &+ k[t] &+ words[s]
                    let sigma0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = sigma0 &+ majority
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            let s = state.words
            state.words = (s.0 &+ a, s.1 &+ b, s.2 &+ c, s.3 &+ d, s.4 &+ e, s.5 &+ f, s.6 &+ g, s.7 &+ h)
        }
    }
}

struct SHA256Digest: Sendable, Equatable {
    var words: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.elementsEqual(r) } }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let w = words
        var be = (w.0.bigEndian, w.1.bigEndian, w.2.bigEndian, w.3.bigEndian,
                  w.4.bigEndian, w.5.bigEndian, w.6.bigEndian, w.7.bigEndian)
        return Swift.withUnsafeBytes(of: &be) { body($0) }
    }

    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
