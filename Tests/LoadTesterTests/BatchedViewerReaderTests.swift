import NIOCore
import NIOPosix
import Testing

@testable import LoadTester

#if canImport(Glibc)
    import Glibc
#endif

/// The batched reader takes every datagram waiting on many sockets in one `recvmmsg` per socket, hands
/// each to its own socket's callback intact and in order, and forgets a socket once it is removed.
@Suite struct BatchedViewerReaderTests {
    /// Datagrams received, by receiver, on the reader's loop.
    final class Received: @unchecked Sendable {
        var payloads: [[[UInt8]]]
        init(receivers: Int) { payloads = Array(repeating: [], count: receivers) }
    }

    private static func port(of socket: CInt) -> sockaddr_in {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return address
    }

    private static func send(_ payload: [UInt8], from sender: CInt, to address: sockaddr_in) -> Int {
        var address = address
        return withUnsafePointer(to: &address) { target in
            target.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(sender, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// Sizes differ, so a datagram cut short or run together with the next shows.
    private static func payload(receiver: Int, round: Int, sequence: Int) -> [UInt8] {
        [UInt8(receiver), UInt8(round), UInt8(sequence)] + Array(repeating: UInt8(sequence), count: 100 + sequence)
    }

    @Test func everyWaitingDatagramIsReadInOneCallPerSocket() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        // A long interval: the test drains by hand, so it knows what was waiting.
        let reader = try BatchedViewerReader(loop: loop, interval: .hours(1))
        let receivers = try (0..<3).map { _ in try NamespaceSocket.bound(address: "127.0.0.1").get() }
        let sender = try NamespaceSocket.bound(address: "127.0.0.1").get()
        let received = Received(receivers: receivers.count)
        try await loop.submit {
            for (index, receiver) in receivers.enumerated() {
                _ = try reader.add(descriptor: receiver) { raw, _ in received.payloads[index].append(Array(raw)) }
            }
        }.get()

        // Three rounds of 50 datagrams to each socket (under one read's 64), each read in one round.
        for round in 0..<3 {
            for (index, receiver) in receivers.enumerated() {
                let address = Self.port(of: receiver)
                for sequence in 0..<50 {
                    let payload = Self.payload(receiver: index, round: round, sequence: sequence)
                    #expect(Self.send(payload, from: sender, to: address) == payload.count)
                }
            }
            try await loop.submit { reader.drain() }.get()
        }
        let (reads, datagrams) = try await loop.submit { (reader.reads, reader.datagrams) }.get()
        #expect(datagrams == 450)
        #expect(reads == 9, "one recvmmsg per socket and round, not one per datagram")
        try await loop.submit {
            for index in receivers.indices {
                let expected = (0..<3).flatMap { round in
                    (0..<50).map { Self.payload(receiver: index, round: round, sequence: $0) }
                }
                #expect(received.payloads[index] == expected)
            }
        }.get()

        try await loop.submit { reader.stop() }.get()
        for receiver in receivers { close(receiver) }
        close(sender)
        try await group.shutdownGracefully()
    }

    @Test func aRemovedSocketIsNoLongerRead() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let reader = try BatchedViewerReader(loop: loop, interval: .hours(1))
        let sender = try NamespaceSocket.bound(address: "127.0.0.1").get()
        let first = try NamespaceSocket.bound(address: "127.0.0.1").get()
        let received = Received(receivers: 2)
        let token = try await loop.submit {
            try reader.add(descriptor: first) { raw, _ in received.payloads[0].append(Array(raw)) }
        }.get()
        #expect(Self.send([1], from: sender, to: Self.port(of: first)) == 1)
        try await loop.submit { reader.drain() }.get()

        // The socket closes and a new one is likely given its number; only the new callback hears it.
        close(first)
        try await loop.submit { reader.remove(token: token) }.get()
        let second = try NamespaceSocket.bound(address: "127.0.0.1").get()
        try await loop.submit {
            _ = try reader.add(descriptor: second) { raw, _ in received.payloads[1].append(Array(raw)) }
        }.get()
        #expect(Self.send([2], from: sender, to: Self.port(of: second)) == 1)
        try await loop.submit { reader.drain() }.get()
        try await loop.submit {
            #expect(received.payloads[0] == [[1]])
            #expect(received.payloads[1] == [[2]])
        }.get()

        try await loop.submit { reader.stop() }.get()
        close(second)
        close(sender)
        try await group.shutdownGracefully()
    }

    @Test func theLoopDrainsOnItsOwn() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let reader = try BatchedViewerReader(loop: loop, interval: .milliseconds(1))
        let sender = try NamespaceSocket.bound(address: "127.0.0.1").get()
        let receiver = try NamespaceSocket.bound(address: "127.0.0.1").get()
        let received = Received(receivers: 1)
        try await loop.submit {
            _ = try reader.add(descriptor: receiver) { raw, _ in received.payloads[0].append(Array(raw)) }
        }.get()
        for sequence in 0..<200 {
            #expect(Self.send([UInt8(sequence)], from: sender, to: Self.port(of: receiver)) == 1)
            if sequence % 20 == 0 { usleep(2_000) }
        }
        var count = 0
        for _ in 0..<200 where count < 200 {
            try await Task.sleep(for: .milliseconds(10))
            count = try await loop.submit { received.payloads[0].count }.get()
        }
        #expect(count == 200)
        try await loop.submit { reader.stop() }.get()
        close(receiver)
        close(sender)
        try await group.shutdownGracefully()
    }
}
