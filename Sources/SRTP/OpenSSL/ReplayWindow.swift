/// The replay check of RFC 3711 §3.3.2 over one stream's packet indices: the highest index accepted and
/// whether each of the `size` indices below it was seen. The bits are a ring addressed by index, so moving
/// the window up by one packet clears one bit instead of shifting the whole bitmap (a relay protects every
/// forwarded packet through one of these). Its storage is allocated once, when the stream appears.
struct ReplayWindow {
    enum Verdict: Equatable {
        /// Newer than anything seen, or inside the window and not seen.
        case fresh
        /// Inside the window and seen before.
        case seen
        /// Behind the window: cannot be told from a replay.
        case tooOld
    }

    private(set) var highest: UInt64
    /// Bit `index & mask` says whether `index` was seen, for the indices inside the window.
    private var bits: [UInt64]
    private let mask: UInt64
    let size: Int

    /// Starts below every index: nothing seen, index 0 fresh (as libsrtp's window starts).
    init(size: Int) {
        self.size = size
        var ring = 64
        while ring < size { ring <<= 1 }
        mask = UInt64(ring - 1)
        highest = 0
        bits = Array(repeating: 0, count: ring / 64)
    }

    func check(_ index: UInt64) -> Verdict {
        guard index <= highest else { return .fresh }
        guard highest - index < UInt64(size) else { return .tooOld }
        return isSet(index) ? .seen : .fresh
    }

    /// Records `index` (which `check` found fresh, or seen when repeats are allowed).
    mutating func accept(_ index: UInt64) {
        if index > highest {
            clear(after: highest, through: index)
            highest = index
        } else if highest - index >= UInt64(size) {
            return
        }
        let position = index & mask
        bits[Int(position >> 6)] |= 1 << (position & 63)
    }

    private func isSet(_ index: UInt64) -> Bool {
        let position = index & mask
        return bits[Int(position >> 6)] & (1 << (position & 63)) != 0
    }

    /// Forgets the ring positions of `old + 1 ... new`: they held indices now behind the window.
    private mutating func clear(after old: UInt64, through new: UInt64) {
        guard new - old <= mask else {
            for word in bits.indices { bits[word] = 0 }
            return
        }
        var index = old &+ 1
        while index <= new {
            let position = index & mask
            let bit = position & 63
            // Whole words at once when the run covers one from its first bit.
            if bit == 0, new - index >= 63 {
                bits[Int(position >> 6)] = 0
                index &+= 64
            } else {
                bits[Int(position >> 6)] &= ~(1 << bit)
                index &+= 1
            }
        }
    }
}
