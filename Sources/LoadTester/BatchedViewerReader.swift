internal import CEpoll
internal import CUDPBatch
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads many viewers' sockets in batches: every `interval`, one `epoll_wait` finds the sockets holding
/// datagrams and one `recvmmsg` per socket takes up to 64 of them.
///
/// Through NIO each datagram costs an epoll wake-up, a `recvmsg`, a `ByteBuffer` and a pass down the
/// channel pipeline. That is several microseconds, and one tester core then saturates at about a fifth of
/// what one relay core can forward: a capacity run measured the tester, not the relay. This reads like
/// the limit probe's sink (`../shared/tools/limit`), so a viewer costs the tester about what it costs
/// the probe.
///
/// Confined to one event loop: it reads and calls `receive` there, and is added to and stopped there.
final class BatchedViewerReader: @unchecked Sendable {
    /// Called with each datagram in place (valid only for the call) and the time of the round that read it.
    typealias Receive = (UnsafeRawBufferPointer, ContinuousClock.Instant) -> Void

    static let messagesPerRead = 64
    static let slotSize = 2_048
    /// Ready sockets taken from one `epoll_wait`, and the rounds of those in one drain: a drain reads at
    /// most 64 × 64 × 16 datagrams, then leaves the loop to its other work.
    private static let readyPerWait: Int32 = 64
    private static let waitsPerDrain = 16

    private let loop: any EventLoop
    private let epoll: CInt
    private var viewers: [UInt64: (descriptor: CInt, receive: Receive)] = [:]
    private var nextToken: UInt64 = 0
    private var task: RepeatedTask?
    private let payloads: UnsafeMutableRawPointer
    private let vectors: UnsafeMutablePointer<iovec>
    private let messages: UnsafeMutablePointer<cudpbatch_mmsghdr>
    private let tokens: UnsafeMutablePointer<UInt64>
    /// Datagrams read, and `recvmmsg` calls that returned some.
    private(set) var datagrams: Int64 = 0
    private(set) var reads: Int64 = 0

    init(loop: any EventLoop, interval: TimeAmount = .microseconds(100)) throws {
        self.loop = loop
        epoll = cepoll_create()
        guard epoll >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        let count = Self.messagesPerRead
        payloads = .allocate(byteCount: count * Self.slotSize, alignment: 16)
        vectors = .allocate(capacity: count)
        messages = .allocate(capacity: count)
        messages.initialize(repeating: cudpbatch_mmsghdr(), count: count)
        tokens = .allocate(capacity: Int(Self.readyPerWait))
        for index in 0..<count {
            vectors[index] = iovec(iov_base: payloads + index * Self.slotSize, iov_len: Self.slotSize)
        }
        task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.drain()
        }
    }

    deinit {
        task?.cancel()
        close(epoll)
        payloads.deallocate()
        vectors.deallocate()
        messages.deallocate()
        tokens.deallocate()
    }

    /// Stops the reads (before the loop shuts down); sockets already added are left to their owners.
    func stop() {
        loop.preconditionInEventLoop()
        task?.cancel()
        task = nil
    }

    /// Starts reading `descriptor` (a socket nobody else reads) and returns the token that removes it.
    func add(descriptor: CInt, receive: @escaping Receive) throws -> UInt64 {
        loop.preconditionInEventLoop()
        let token = nextToken
        nextToken += 1
        guard cepoll_add_readable(epoll, descriptor, token) == 0 else {
            throw IOError(errnoCode: errno, reason: "epoll_ctl")
        }
        viewers[token] = (descriptor, receive)
        return token
    }

    /// Forgets a viewer whose socket has closed. The close took it out of the epoll set; deleting it by
    /// number here could delete a newer socket that was given the same number.
    func remove(token: UInt64) {
        loop.preconditionInEventLoop()
        viewers[token] = nil
    }

    /// One round: every socket with datagrams waiting, read until it is empty.
    func drain() {
        loop.preconditionInEventLoop()
        let now = ContinuousClock.now
        for _ in 0..<Self.waitsPerDrain {
            let ready = cepoll_wait(epoll, tokens, Self.readyPerWait, 0)
            guard ready > 0 else { return }
            for index in 0..<Int(ready) {
                guard let viewer = viewers[tokens[index]] else { continue }
                while read(viewer.descriptor, viewer.receive, now: now) == Self.messagesPerRead {}
            }
            if ready < Self.readyPerWait { return }
        }
    }

    /// One `recvmmsg`; returns the datagrams it took (0 when none were waiting or the read failed: a UDP
    /// socket's errors, such as ICMP unreachable, are not fatal).
    private func read(_ descriptor: CInt, _ receive: Receive, now: ContinuousClock.Instant) -> Int {
        let count = Self.messagesPerRead
        for index in 0..<count {
            messages[index].msg_hdr = msghdr()
            messages[index].msg_hdr.msg_iov = vectors + index
            messages[index].msg_hdr.msg_iovlen = 1
        }
        let received = cudpbatch_recvmmsg(descriptor, messages, UInt32(count))
        guard received > 0 else { return 0 }
        reads += 1
        datagrams += Int64(received)
        for index in 0..<Int(received) {
            let length = min(Int(messages[index].msg_len), Self.slotSize)
            receive(UnsafeRawBufferPointer(start: payloads + index * Self.slotSize, count: length), now)
        }
        return Int(received)
    }
}
