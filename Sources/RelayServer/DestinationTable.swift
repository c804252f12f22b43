import STUN

/// Maps each destination in a send batch to its last queued slot. A `Dictionary` here would seed a
/// SipHash per packet (3% of the relay's CPU under load); this open-addressing table hashes with one
/// multiply, and empties in O(1) by bumping a generation instead of clearing its entries.
struct DestinationTable: ~Copyable {
    private struct Entry {
        var generation: UInt32
        var slot: Int
        var address: TransportAddress
    }

    private let entries: UnsafeMutablePointer<Entry>
    private let mask: Int
    private let shift: UInt64
    private var generation: UInt32 = 1

    /// Holds up to `minimumCapacity` destinations at a load factor of at most one half.
    init(minimumCapacity: Int) {
        var size = 16
        var bits: UInt64 = 4
        while size < 2 * minimumCapacity {
            size *= 2
            bits += 1
        }
        entries = .allocate(capacity: size)
        entries.initialize(
            repeating: Entry(generation: 0, slot: 0, address: TransportAddress(ip: .v4(0), port: 0)), count: size)
        mask = size - 1
        shift = 64 - bits
    }

    deinit { entries.deallocate() }

    /// Records `slot` as the destination's latest and returns the previous one, if any.
    mutating func exchange(_ address: TransportAddress, slot: Int) -> Int? {
        var index = bucket(address)
        while entries[index].generation == generation {
            if entries[index].address == address {
                defer { entries[index].slot = slot }
                return entries[index].slot
            }
            index = (index + 1) & mask
        }
        entries[index] = Entry(generation: generation, slot: slot, address: address)
        return nil
    }

    mutating func removeAll() {
        generation &+= 1
        if generation == 0 {
            // Wrapped: stale entries could look current again, so really clear them once.
            for index in 0...mask { entries[index].generation = 0 }
            generation = 1
        }
    }

    /// Fibonacci hashing of the address and port.
    private func bucket(_ address: TransportAddress) -> Int {
        let key: UInt64 = switch address.ip {
        case .v4(let ip): UInt64(ip) << 16 | UInt64(address.port)
        case .v6(let high, let low): (high ^ low.byteSwapped) &+ UInt64(address.port)
        }
        return Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) & mask
    }
}
