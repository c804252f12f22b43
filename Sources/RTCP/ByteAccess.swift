// Big-endian field access. Every caller checks bounds before reading, so these stay branch-free;
// byte-wise access keeps them alignment-agnostic.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func readUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func readUInt24(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 16 | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2])
    }

    @inline(__always)
    func readUInt32(at offset: Int) -> UInt32 {
        UInt32(readUInt16(at: offset)) << 16 | UInt32(readUInt16(at: offset + 2))
    }

    @inline(__always)
    func readUInt64(at offset: Int) -> UInt64 {
        UInt64(readUInt32(at: offset)) << 32 | UInt64(readUInt32(at: offset + 4))
    }

    /// Sub-buffer re-based so its indices start at zero.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func writeUInt16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    @inline(__always)
    func writeUInt24(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 2] = UInt8(truncatingIfNeeded: value)
    }

    @inline(__always)
    func writeUInt32(_ value: UInt32, at offset: Int) {
        writeUInt16(UInt16(truncatingIfNeeded: value >> 16), at: offset)
        writeUInt16(UInt16(truncatingIfNeeded: value), at: offset + 2)
    }

    @inline(__always)
    func writeUInt64(_ value: UInt64, at offset: Int) {
        writeUInt32(UInt32(truncatingIfNeeded: value >> 32), at: offset)
        writeUInt32(UInt32(truncatingIfNeeded: value), at: offset + 4)
    }

    @inline(__always)
    func zero(_ range: Range<Int>) {
        for index in range { self[index] = 0 }
    }
}

/// Allocates an array of `count` bytes and lets `body` encode into it.
///
/// `Array.withUnsafeMutableBytes` only rethrows untyped errors, so the typed error is carried out
/// by hand to keep the public builders `throws(RTCPError)`.
func buildBytes(
    count: Int,
    _ body: (UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int
) throws(RTCPError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var failure: RTCPError?
    var written = 0
    bytes.withUnsafeMutableBytes { buffer in
        do throws(RTCPError) {
            written = try body(buffer)
        } catch {
            failure = error
        }
    }
    if let failure { throw failure }
    if written < count { bytes.removeLast(count - written) }
    return bytes
}

/// RTCP packets are 32-bit aligned (RFC 3550 §6.4.1).
@inline(__always)
func paddedToWord(_ length: Int) -> Int {
    (length + 3) & ~3
}
