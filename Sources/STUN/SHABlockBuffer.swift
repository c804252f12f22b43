/// A 64-byte partial block stored inline, so hashing never touches the heap.
///
/// A tuple rather than `InlineArray` because the package still targets macOS 14.
struct SHABlockBuffer: Sendable {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0

    var isFull: Bool { count == 64 }

    /// Copies as many bytes as fit and returns how many were taken.
    mutating func fill(from input: Slice<UnsafeRawBufferPointer>) -> Int {
        let n = min(64 - count, input.count)
        guard n > 0 else { return 0 }
        let offset = count
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.baseAddress!.advanced(by: offset)
                .copyMemory(from: input.base.baseAddress!.advanced(by: input.startIndex), byteCount: n)
        }
        count += n
        return n
    }

    func withBlock(_ body: (UnsafeRawBufferPointer) -> Void) {
        withUnsafeBytes(of: storage) { body($0) }
    }
}

/// Sixteen 32-bit words on the stack: the rolling SHA-1 message schedule.
struct SHAWords16 {
    var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0)
}
