import STUN
import Testing

@testable import RelayServer

#if canImport(Glibc)
import Glibc
#endif

/// A plain UDP socket to receive what the batch sends, with a read timeout so a lost datagram fails
/// the test instead of hanging it.
private struct Receiver: ~Copyable {
    let descriptor: CInt
    let port: UInt16

    init(host: String = "127.0.0.1") throws {
        let bound = try RelaySocket.bind(host: host, port: 0, bufferBytes: 1 << 20)
        descriptor = bound.descriptor
        var flags = fcntl(descriptor, F_GETFL)
        flags &= ~O_NONBLOCK
        _ = fcntl(descriptor, F_SETFL, flags)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        port = SocketPair.port(of: bound.descriptor)
    }

    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count < 0 ? nil : Array(buffer.prefix(count))
    }

    deinit { close(descriptor) }
}


/// A batch on a loopback socket, sending to `receiver`; the socket closes with it.
private final class LoopbackBatch {
    let sender: (descriptor: CInt, family: CInt)
    let batch: DatagramBatch
    let destination: TransportAddress

    init(to receiver: borrowing Receiver, capacity: Int = 2_048) throws {
        sender = try RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 1 << 20)
        batch = DatagramBatch(socket: sender.descriptor, family: sender.family, capacity: capacity)
        destination = TransportAddress(ipv4: 127, 0, 0, 1, port: receiver.port)
    }

    deinit { close(sender.descriptor) }
}

@Suite struct DatagramBatchTests {
    @Test func sendsEveryDatagramInOrderAcrossSeveralBatches() throws {
        let receiver = try Receiver()
        let loopback = try LoopbackBatch(to: receiver, capacity: 8)
        let (batch, destination) = (loopback.batch, loopback.destination)
        // 20 datagrams through 8 slots: two batches leave while queuing, the rest on flush.
        let datagrams = (0..<20).map { index in [UInt8](repeating: UInt8(index), count: 100 + index * 50) }
        for datagram in datagrams {
            datagram.withUnsafeBytes { batch.send($0, to: destination) }
        }
        batch.flush()
        #expect(batch.sent == 20)
        #expect(batch.dropped == 0)
        for datagram in datagrams {
            #expect(receiver.receive() == datagram)
        }
    }

    /// Fan-out order (A, B, A, B, …) is regrouped per destination, and each run goes out as one GSO
    /// message that the kernel splits back into the original datagrams.
    @Test(arguments: [true, false])
    func regroupsFanOutPerDestination(segmentation: Bool) throws {
        let first = try Receiver()
        let second = try Receiver()
        let sender = try RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 1 << 20)
        defer { close(sender.descriptor) }
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family, segmentation: segmentation)
        let a = TransportAddress(ipv4: 127, 0, 0, 1, port: first.port)
        let b = TransportAddress(ipv4: 127, 0, 0, 1, port: second.port)
        // A frame's burst: 6 equal packets each, then a shorter one (it may end a GSO run).
        var toA: [[UInt8]] = []
        var toB: [[UInt8]] = []
        for index in 0..<7 {
            let length = index < 6 ? 1_000 : 400
            toA.append((0..<length).map { UInt8(truncatingIfNeeded: $0 &+ index) })
            toB.append((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ index) })
            toA[index].withUnsafeBytes { batch.send($0, to: a) }
            toB[index].withUnsafeBytes { batch.send($0, to: b) }
        }
        batch.flush()
        #expect(batch.sent == 14)
        #expect(batch.dropped == 0)
        #expect(batch.segmentedMessages == (segmentation ? 2 : 0))
        for datagram in toA { #expect(first.receive() == datagram) }
        for datagram in toB { #expect(second.receive() == datagram) }
    }

    /// GSO needs equal segments with only the last shorter: other size patterns split into runs.
    @Test func runsBreakWhereSizesDoNotFit() throws {
        let receiver = try Receiver()
        let sender = try RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 1 << 20)
        defer { close(sender.descriptor) }
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family)
        #expect(batch.segmentation, "this kernel supports UDP GSO (Linux 4.18+)")
        let destination = TransportAddress(ipv4: 127, 0, 0, 1, port: receiver.port)
        let sizes = [1_000, 1_001, 999, 1_000, 1_000]
        let datagrams = sizes.enumerated().map { index, size in [UInt8](repeating: UInt8(index), count: size) }
        for datagram in datagrams { datagram.withUnsafeBytes { batch.send($0, to: destination) } }
        batch.flush()
        // [1000] [1001, 999] [1000, 1000]
        #expect(batch.segmentedMessages == 2)
        #expect(batch.sent == 5)
        for datagram in datagrams { #expect(receiver.receive() == datagram) }
    }

    /// A datagram built in the lent slot goes out as written; a slot lent and not committed is taken
    /// by the next datagram, and nothing of it is sent. The counters add up syscalls and GSO messages.
    @Test func reservedSlotsAreSentOnlyWhenCommitted() throws {
        let receiver = try Receiver()
        let loopback = try LoopbackBatch(to: receiver, capacity: 4)
        let (batch, destination) = (loopback.batch, loopback.destination)
        #expect(batch.reserve(DatagramBatch.slotSize + 1) == nil)
        var expected: [[UInt8]] = []
        for index in 0..<6 {
            let datagram = [UInt8](repeating: UInt8(index + 1), count: 600)
            let slot = try #require(batch.reserve(600))
            slot.copyBytes(from: datagram)
            if index == 2 {
                // Lent but not committed (a packet the pacer queued): the next datagram takes its place.
                let other = [UInt8](repeating: 0xEE, count: 300)
                other.withUnsafeBytes { batch.send($0, to: destination) }
                expected.append(other)
                continue
            }
            batch.commitReserved(600, to: destination)
            expected.append(datagram)
        }
        batch.flush()
        #expect(batch.sent == 6)
        #expect(batch.dropped == 0)
        // Capacity 4: one send when the slots ran out, one on flush; three runs (600 600 300 | 600 | 600 600).
        #expect(batch.sendCalls == 2)
        #expect(batch.messagesSent == (batch.segmentation ? 3 : 6))
        for datagram in expected { #expect(receiver.receive() == datagram) }
        batch.commitReserved(0, to: destination)
        #expect(batch.dropped == 1)
    }

    /// A cascade pipe's copy leaves at once, ahead of the queue, even from the slot `reserve` lent; the queue
    /// then goes out as it was, in order.
    @Test func aDatagramSentNowLeavesAheadOfTheQueue() throws {
        let receiver = try Receiver()
        let loopback = try LoopbackBatch(to: receiver, capacity: 8)
        let (batch, destination) = (loopback.batch, loopback.destination)
        let queued = (1...3).map { [UInt8](repeating: $0, count: 500) }
        for datagram in queued { datagram.withUnsafeBytes { batch.send($0, to: destination) } }
        let urgent = [UInt8](repeating: 0xAB, count: 200)
        let slot = try #require(batch.reserve(200))
        slot.copyBytes(from: urgent)
        batch.sendNow(UnsafeRawBufferPointer(rebasing: slot[0..<200]), to: destination)
        #expect(batch.sendCalls == 1 && batch.sent == 1)
        #expect(receiver.receive() == urgent)
        batch.flush()
        #expect(batch.sent == 4)
        #expect(batch.dropped == 0)
        for datagram in queued { #expect(receiver.receive() == datagram) }
        batch.sendNow(UnsafeRawBufferPointer(start: nil, count: 0), to: destination)
        #expect(batch.dropped == 1)
    }

    @Test func dualStackSocketReachesIPv4PeersThroughMappedAddresses() throws {
        let receiver = try Receiver()
        let sender = try RelaySocket.bind(host: "::", port: 0, bufferBytes: 1 << 20)
        defer { close(sender.descriptor) }
        #expect(sender.family == AF_INET6)
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family)
        [UInt8]([1, 2, 3]).withUnsafeBytes { batch.send($0, to: TransportAddress(ipv4: 127, 0, 0, 1, port: receiver.port)) }
        batch.flush()
        #expect(receiver.receive() == [1, 2, 3])
    }

    @Test func undeliverableDatagramsAreCountedNotSent() throws {
        let receiver = try Receiver()
        let sender = try RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 1 << 20)
        defer { close(sender.descriptor) }
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family)
        let ipv6 = TransportAddress(ip: .v6(high: 0, low: 1), port: receiver.port)
        let oversized = [UInt8](repeating: 0, count: DatagramBatch.slotSize + 1)
        [UInt8]([9]).withUnsafeBytes { batch.send($0, to: ipv6) }  // an IPv4 socket cannot reach ::1
        oversized.withUnsafeBytes { batch.send($0, to: TransportAddress(ipv4: 127, 0, 0, 1, port: receiver.port)) }
        [UInt8]([7]).withUnsafeBytes { batch.send($0, to: TransportAddress(ipv4: 127, 0, 0, 1, port: receiver.port)) }
        batch.flush()
        #expect(batch.dropped == 2)
        #expect(batch.sent == 1)
        #expect(receiver.receive() == [7])
    }

    @Test func bindingATakenPortIsAClearError() throws {
        let first = try RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 1 << 20)
        defer { close(first.descriptor) }
        let port = Int(SocketPair.port(of: first.descriptor))
        // A second relay on a configured port must fail loudly, not share it.
        let error = #expect(throws: RelaySocket.Failure.self) {
            _ = try RelaySocket.bind(host: "127.0.0.1", port: port, bufferBytes: 1 << 20)
        }
        #expect(error?.description.contains("bind 127.0.0.1:\(port)") == true)
    }
}
