import STUN
import Testing

@testable import RelayServer

#if canImport(Glibc)
import Glibc
#endif

/// The worker's own receive path: everything waiting, with its source, in reads of at most 32; a GSO run
/// that arrives coalesced (GRO) split back into its datagrams.
@Suite struct DatagramReaderTests {
    /// Reads until nothing more arrives within a second, returning each datagram and its source.
    private static func readAll(_ reader: DatagramReader, reads: inout [Int]) -> [([UInt8], TransportAddress)] {
        var received: [([UInt8], TransportAddress)] = []
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline {
            let count = reader.read { bytes, source in received.append((Array(bytes), source)) }
            if count > 0 { reads.append(count) } else { usleep(2_000) }
        }
        return received
    }

    @Test func readsEverythingWaitingWithItsSourceInReadsOfAtMostThirtyTwo() throws {
        let (receiver, sender, port) = try SocketPair.make()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family, segmentation: false)
        let destination = TransportAddress(ipv4: 127, 0, 0, 1, port: port)
        let datagrams = (0..<45).map { index in [UInt8](repeating: UInt8(index), count: 60 + index) }
        for datagram in datagrams { datagram.withUnsafeBytes { batch.send($0, to: destination) } }
        batch.flush()
        #expect(batch.sent == 45)

        let reader = DatagramReader(socket: receiver.descriptor, offload: false)
        var reads: [Int] = []
        let received = Self.readAll(reader, reads: &reads)
        #expect(received.map(\.0) == datagrams)
        let source = TransportAddress(ipv4: 127, 0, 0, 1, port: SocketPair.port(of: sender.descriptor))
        #expect(received.allSatisfy { $0.1 == source })
        #expect(reads.allSatisfy { $0 <= DatagramReader.messagesPerRead })
        #expect(reads.first == DatagramReader.messagesPerRead, "45 waiting: the first read takes 32")
        #expect(reader.read { _, _ in } == 0, "nothing waiting: no datagram and no error")
    }

    /// A flood is drained in bounded steps: at most `maxReads` × 32 datagrams per call, the rest left
    /// waiting for the next wake-up, nothing lost or reordered.
    @Test func aDrainStopsAfterItsReadsAndLeavesTheRestWaiting() throws {
        let (receiver, sender, port) = try SocketPair.make()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family, segmentation: false)
        let destination = TransportAddress(ipv4: 127, 0, 0, 1, port: port)
        let datagrams = (0..<200).map { index in [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 40 + index % 7) }
        for datagram in datagrams { datagram.withUnsafeBytes { batch.send($0, to: destination) } }
        batch.flush()
        #expect(batch.sent == 200)
        usleep(50_000)  // loopback delivery is synchronous; this only leaves margin

        let reader = DatagramReader(socket: receiver.descriptor, offload: false)
        var received: [[UInt8]] = []
        #expect(reader.drain(maxReads: 4) { bytes, _ in received.append(Array(bytes)) } == 4 * DatagramReader.messagesPerRead)
        #expect(received.count == 128)
        #expect(reader.drain(maxReads: 4) { bytes, _ in received.append(Array(bytes)) } == 72)
        #expect(reader.drain(maxReads: 4) { _, _ in } == 0)
        #expect(received == datagrams)
    }

    /// On a dual-stack socket an IPv4 peer's address arrives v4-mapped; it is handed on as IPv4, as the
    /// engine knows the peer.
    @Test func aDualStackSocketNamesIPv4PeersAsIPv4() throws {
        let (receiver, sender, port) = try SocketPair.make(host: "::")
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        #expect(receiver.family == AF_INET6)
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family)
        [UInt8]([1, 2, 3]).withUnsafeBytes { batch.send($0, to: TransportAddress(ipv4: 127, 0, 0, 1, port: port)) }
        batch.flush()
        let reader = DatagramReader(socket: receiver.descriptor, offload: false)
        var reads: [Int] = []
        let received = Self.readAll(reader, reads: &reads)
        #expect(received.map(\.0) == [[1, 2, 3]])
        #expect(received.first?.1 == TransportAddress(ipv4: 127, 0, 0, 1, port: SocketPair.port(of: sender.descriptor)))
    }

    /// With UDP_GRO on, a GSO run arrives as one read and is split back into its datagrams, the shorter
    /// last one included.
    @Test func aCoalescedRunIsSplitBackIntoItsDatagrams() throws {
        let (receiver, sender, port) = try SocketPair.make()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        var on: CInt = 1
        let udpGRO: CInt = 104
        try #require(setsockopt(receiver.descriptor, CInt(IPPROTO_UDP), udpGRO, &on, socklen_t(MemoryLayout<CInt>.size)) == 0)
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family)
        try #require(batch.segmentation)
        let destination = TransportAddress(ipv4: 127, 0, 0, 1, port: port)
        let datagrams = (0..<5).map { index in [UInt8](repeating: UInt8(index + 1), count: index < 4 ? 1_000 : 300) }
        for datagram in datagrams { datagram.withUnsafeBytes { batch.send($0, to: destination) } }
        batch.flush()
        #expect(batch.messagesSent == 1)

        let reader = DatagramReader(socket: receiver.descriptor, offload: true)
        var reads: [Int] = []
        let received = Self.readAll(reader, reads: &reads)
        #expect(received.map(\.0) == datagrams)
        #expect(reads == [1], "one coalesced read")
        #expect(reader.coalescedReads == 1 && reader.coalescedDatagrams == 5)
    }
}
