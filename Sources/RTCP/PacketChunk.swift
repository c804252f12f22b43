/// One 16-bit transport-wide CC packet chunk
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.3, §3.1.4).
///
/// - Run length: `0 | S(2) | run length(13)`.
/// - Status vector: `1 | 0 | 14 one-bit symbols` or `1 | 1 | 7 two-bit symbols`.
///
/// A one-bit symbol of 1 means "received, small delta" and 0 "not received", as in the §3.1.4
/// example and in libwebrtc; the draft's prose for the size bit states the reverse.
struct PacketChunk {
    static let maxRunLength = 0x1FFF
    static let oneBitCapacity = 14
    static let twoBitCapacity = 7

    let raw: UInt16

    init(_ raw: UInt16) {
        self.raw = raw
    }

    static func runLength(symbol: UInt8, count: Int) -> PacketChunk {
        PacketChunk(UInt16(symbol) << 13 | UInt16(count))
    }

    var isVector: Bool { raw & 0x8000 != 0 }
    var isTwoBit: Bool { raw & 0x4000 != 0 }

    /// Symbols this chunk describes (before clamping to the status count).
    var capacity: Int {
        if !isVector { return Int(raw & 0x1FFF) }
        return isTwoBit ? Self.twoBitCapacity : Self.oneBitCapacity
    }

    func symbol(at index: Int) -> UInt8 {
        if !isVector { return UInt8(raw >> 13 & 0x3) }
        if isTwoBit { return UInt8(raw >> (12 - 2 * index) & 0x3) }
        return UInt8(raw >> (13 - index) & 0x1)
    }

    /// Receive-delta bytes the first `count` symbols need; rejects the reserved symbol.
    func deltaBytes(firstSymbols count: Int) throws(RTCPError) -> Int {
        if !isVector {
            switch symbol(at: 0) {
            case 0: return 0
            case 1: return count
            case 2: return 2 * count
            default: throw .reservedStatusSymbol
            }
        }
        if !isTwoBit {
            // Each one-bit "1" is a small delta.
            let used = (raw & 0x3FFF) >> (Self.oneBitCapacity - count)
            return used.nonzeroBitCount
        }
        var bytes = 0
        for index in 0..<count {
            switch symbol(at: index) {
            case 0: break
            case 1: bytes += 1
            case 2: bytes += 2
            default: throw .reservedStatusSymbol
            }
        }
        return bytes
    }
}
