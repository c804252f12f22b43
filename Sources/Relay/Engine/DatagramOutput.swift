import STUN

/// Where the engine puts the datagrams it wants sent. The IO edge implements it (NIO channel writes,
/// flushed once per read batch so they leave in one `sendmmsg`); tests collect into arrays.
///
/// Generic rather than an existential so the hot path pays no dynamic dispatch or boxing.
public protocol DatagramOutput {
    mutating func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress)

    /// Room for the next datagram, `capacity` bytes or more, to be built where it will be sent from; nil
    /// when this output has none (the datagram is then built elsewhere and passed to `send`). The space is
    /// only lent until the next call on this output: `commitReserved` sends it, anything else discards it.
    mutating func reserve(_ capacity: Int) -> UnsafeMutableRawBufferPointer?

    /// Sends the first `length` bytes of the space `reserve` just returned.
    mutating func commitReserved(_ length: Int, to destination: TransportAddress)

    /// Sends at once, ahead of anything queued: a cascade pipe's copy, which another worker fans out again,
    /// so that worker starts while this one is still fanning out. `datagram` may be space `reserve` lent.
    mutating func sendNow(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress)
}

extension DatagramOutput {
    public mutating func reserve(_ capacity: Int) -> UnsafeMutableRawBufferPointer? { nil }

    public mutating func commitReserved(_ length: Int, to destination: TransportAddress) {}

    public mutating func sendNow(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        send(datagram, to: destination)
    }
}

/// Collects datagrams in memory: for tests and the in-process benchmarks.
public struct CollectingOutput: DatagramOutput {
    public var datagrams: [(bytes: [UInt8], destination: TransportAddress)] = []

    public init() {}

    public mutating func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        datagrams.append((Array(datagram), destination))
    }
}

/// Counts what would have been sent and drops the bytes: for benchmarking the forwarding path
/// without the cost of storing its output.
public struct CountingOutput: DatagramOutput {
    public var datagrams = 0
    public var bytes = 0

    public init() {}

    public mutating func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        datagrams += 1
        bytes += datagram.count
    }
}
