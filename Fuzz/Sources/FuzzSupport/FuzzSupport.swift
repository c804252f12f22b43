#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer's driver, linked in by `-sanitize=fuzzer`. SwiftPM links every executable with
/// `--defsym main=<Module>_main`, so libFuzzer's own `main` is never used: each target's top-level
/// code calls this instead (the LLVM-documented way to embed libFuzzer in a program with a main).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer with the process's arguments (corpus directories, `-max_total_time=` …) and exits.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// Reads a fuzz input as a sequence of records: one tag byte, a 16-bit big-endian length, then that
/// many bytes (cut short at the end of the input). Multi-datagram targets use it so a mutation can
/// change one datagram without shifting the others.
public struct FuzzRecords: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public mutating func next() -> (tag: UInt8, body: UnsafeRawBufferPointer)? {
        guard offset + 3 <= bytes.count else { return nil }
        let tag = bytes[offset]
        let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
        let start = offset + 3
        let end = Swift.min(start + length, bytes.count)
        offset = end
        return (tag, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }

    /// Encodes records in this format, for seed corpora and regression tests.
    public static func encode(_ records: [(tag: UInt8, body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (tag, body) in records {
            let length = Swift.min(body.count, 0xFFFF)
            out += [tag, UInt8(length >> 8), UInt8(length & 0xFF)]
            out += body.prefix(length)
        }
        return out
    }
}

/// Keeps the optimizer from discarding a value computed only to be exercised.
@inline(never)
public func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Whether environment variable `name` is set (for a target's tracing switch).
public func environmentFlag(_ name: String) -> Bool { getenv(name) != nil }
