/// 256 bytes stored inline in a value, indexed by a `UInt8`, so a per-leg table (extension IDs)
/// or a short string (a mid) travels without a heap buffer or a reference count.
///
/// A homogeneous tuple, which Swift lays out contiguously like a C array, so bytes are read with
/// plain loads and copied with memcpy. (`InlineArray` would need macOS 26; the package supports 14.)
struct InlineBytes256: Sendable {
    private var storage: (SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>) = (.zero, .zero, .zero, .zero)

    subscript(index: UInt8) -> UInt8 {
        get { Swift.withUnsafeBytes(of: storage) { $0[Int(index)] } }
        set { Swift.withUnsafeMutableBytes(of: &storage) { $0[Int(index)] = newValue } }
    }

    /// Whether a byte other than the one at `excluded` equals `value`.
    func contains(_ value: UInt8, except excluded: UInt8) -> Bool {
        Swift.withUnsafeBytes(of: storage) { bytes in
            bytes.indices.contains { $0 != Int(excluded) && bytes[$0] == value }
        }
    }

    /// Copies the first `count` (at most 256) bytes to `offset` in `destination`, whose bounds
    /// the caller has checked.
    func copy(count: Int, to destination: UnsafeMutableRawBufferPointer, at offset: Int) {
        Swift.withUnsafeBytes(of: storage) { bytes in
            destination.move(from: bytes, range: 0..<min(count, 256), to: offset)
        }
    }
}

extension InlineBytes256: Hashable {
    static func == (a: Self, b: Self) -> Bool {
        a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1 && a.storage.2 == b.storage.2
            && a.storage.3 == b.storage.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
