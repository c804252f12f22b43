/// Per-SSRC state of one SRTP context. A WebRTC peer has a handful of SSRCs (audio, video, their RTX) and the
/// relay looks one up for every packet it protects, so the first few are found by a linear scan of a small
/// array (no hashing); a dictionary indexes them only past that. `limit` bounds what a peer can make it keep.
struct StreamTable<Value> {
    private static var scanned: Int { 8 }
    private var ssrcs: [UInt32] = []
    private var values: [Value] = []
    private var index: [UInt32: Int] = [:]
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { ssrcs.count }
    var isFull: Bool { ssrcs.count >= limit }

    /// The slot of `ssrc`'s state, if it has any.
    func slot(of ssrc: UInt32) -> Int? {
        guard ssrcs.count > Self.scanned else { return ssrcs.firstIndex(of: ssrc) }
        return index[ssrc]
    }

    /// Read in place: a copy of a replay window would retain its bits for every packet.
    subscript(slot: Int) -> Value {
        _read { yield values[slot] }
        _modify { yield &values[slot] }
    }

    /// Adds a stream (the caller checked `isFull` and that it is new) and returns its slot.
    mutating func insert(_ value: Value, for ssrc: UInt32) -> Int {
        ssrcs.append(ssrc)
        values.append(value)
        if ssrcs.count > Self.scanned {
            if index.isEmpty {
                for (slot, known) in ssrcs.enumerated() { index[known] = slot }
            } else {
                index[ssrc] = ssrcs.count - 1
            }
        }
        return ssrcs.count - 1
    }

    /// Forgets `ssrc`; the last stream takes its slot.
    mutating func remove(_ ssrc: UInt32) -> Bool {
        guard let slot = slot(of: ssrc) else { return false }
        let last = ssrcs.count - 1
        if slot != last {
            ssrcs[slot] = ssrcs[last]
            values[slot] = values[last]
        }
        ssrcs.removeLast()
        values.removeLast()
        if ssrcs.count > Self.scanned {
            index[ssrc] = nil
            if slot != last { index[ssrcs[slot]] = slot }
        } else {
            index.removeAll()
        }
        return true
    }
}
