/// The replay check of RFC 3711 §3.3.2 over one stream's packet indices: the highest index accepted and a
/// bitmap of the `size` indices below it. Its storage is allocated once, when the stream appears.
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
    private var bits: [UInt64]
    let size: Int

    /// Starts below every index: nothing seen, index 0 fresh (as libsrtp's window starts).
    init(size: Int) {
        self.size = size
        highest = 0
        bits = Array(repeating: 0, count: (size + 63) / 64)
    }

    func check(_ index: UInt64) -> Verdict {
        guard index <= highest else { return .fresh }
        let behind = highest - index
        guard behind < UInt64(size) else { return .tooOld }
        return bits[Int(behind / 64)] & (1 << (behind % 64)) != 0 ? .seen : .fresh
    }

    /// Records `index` (which `check` found fresh, or seen when repeats are allowed).
    mutating func accept(_ index: UInt64) {
        if index > highest {
            shift(by: index - highest)
            highest = index
            bits[0] |= 1
        } else {
            let behind = highest - index
            guard behind < UInt64(size) else { return }
            bits[Int(behind / 64)] |= 1 << (behind % 64)
        }
    }

    /// Moves the window up: bit k (index highest - k) becomes bit k + by.
    private mutating func shift(by distance: UInt64) {
        guard distance < UInt64(bits.count * 64) else {
            for word in bits.indices { bits[word] = 0 }
            return
        }
        let words = Int(distance / 64)
        let offset = UInt64(distance % 64)
        for word in stride(from: bits.count - 1, through: 0, by: -1) {
            let from = word - words
            var value: UInt64 = 0
            if from >= 0 {
                value = bits[from] << offset
                if offset > 0, from - 1 >= 0 { value |= bits[from - 1] >> (64 - offset) }
            }
            bits[word] = value
        }
    }
}
