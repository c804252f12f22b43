internal import CUDPBatch
import Relay
import STUN

#if canImport(Glibc)
import Glibc
#endif

/// The relay's send path. Each datagram the engine emits is copied into a preallocated slot; at the
/// end of a read batch (or when the slots run out) they leave in one `sendmmsg`. So forwarding
/// allocates nothing and pays one syscall per batch. Going through NIO's pipeline would cost a
/// `ByteBuffer` and a boxed envelope per forwarded packet, and would queue without bound when the
/// kernel pushes back. A relay should drop late media instead, as the network would.
///
/// The engine fans each packet out subscriber by subscriber. When a read batch brings several
/// packets (a video frame's burst, under load), every subscriber is owed a run of them. Those runs
/// are regrouped per destination and sent with UDP GSO, as one message the kernel splits. Per
/// datagram, that costs the kernel far less than separate sends (shared notes: ≈ 3.2 → 1.4 µs).
///
/// Confined to its worker's event loop, which owns the socket.
package final class DatagramBatch: DatagramOutput {
    /// Larger than any datagram the relay emits (RTP is MTU-bounded; the engine's scratch is 2 KiB).
    package static let slotSize = 2_048
    /// The kernel's limits on one GSO message (UDP_MAX_SEGMENTS, and an IP datagram's length).
    static let maximumSegments = 64
    static let maximumSegmentedBytes = 65_000

    package let capacity: Int
    /// Whether runs to one destination go out as one GSO message; off when the kernel lacks it.
    package private(set) var segmentation: Bool
    /// Datagrams the kernel accepted.
    package private(set) var sent: UInt64 = 0
    /// Datagrams dropped at the socket: its buffer was full, or the destination was unreachable.
    package private(set) var dropped: UInt64 = 0
    /// Messages that carried more than one datagram (GSO).
    package private(set) var segmentedMessages: UInt64 = 0
    /// `sendmmsg` calls, and the messages the kernel took (one per GSO run): with `sent`, how well the
    /// kernel's per-call and per-message costs are shared.
    package private(set) var sendCalls: UInt64 = 0
    package private(set) var messagesSent: UInt64 = 0

    private let socket: CInt
    private let family: sa_family_t
    private var count = 0
    private let payloads: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<Int>
    private let names: UnsafeMutablePointer<sockaddr_in6>
    private let nameLengths: UnsafeMutablePointer<socklen_t>
    /// Per slot, the next slot queued for the same destination (-1: none), in the order queued.
    private let nextForDestination: UnsafeMutablePointer<Int>
    /// First slot of each destination, in order of first appearance.
    private let heads: UnsafeMutablePointer<Int>
    private var headCount = 0
    /// The last slot queued for each destination in this batch.
    private var tails: DestinationTable
    private let vectors: UnsafeMutablePointer<iovec>
    private let messages: UnsafeMutablePointer<cudpbatch_mmsghdr>
    private let segmentCounts: UnsafeMutablePointer<Int>
    private let controlSpace: Int
    private let controls: UnsafeMutableRawPointer
    /// `sendNow`'s destination and its one vector, made once.
    private let urgentName: UnsafeMutablePointer<sockaddr_in6>
    private let urgentVector: UnsafeMutablePointer<iovec>

    /// `family` is the socket's (`AF_INET` or `AF_INET6`); IPv4 destinations are v4-mapped on IPv6.
    package init(socket: CInt, family: CInt, capacity: Int = 2_048, segmentation: Bool? = nil) {
        self.socket = socket
        self.family = sa_family_t(family)
        self.capacity = capacity
        self.segmentation = segmentation ?? (cudpbatch_supports_segmentation(socket) != 0)
        payloads = .allocate(byteCount: capacity * Self.slotSize, alignment: 16)
        lengths = .allocate(capacity: capacity)
        names = .allocate(capacity: capacity)
        nameLengths = .allocate(capacity: capacity)
        nextForDestination = .allocate(capacity: capacity)
        heads = .allocate(capacity: capacity)
        tails = DestinationTable(minimumCapacity: capacity)
        vectors = .allocate(capacity: capacity)
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: cudpbatch_mmsghdr(), count: capacity)
        segmentCounts = .allocate(capacity: capacity)
        controlSpace = cudpbatch_segment_control_space()
        controls = .allocate(byteCount: capacity * controlSpace, alignment: 16)
        urgentName = .allocate(capacity: 1)
        urgentName.initialize(to: sockaddr_in6())
        urgentVector = .allocate(capacity: 1)
        urgentVector.initialize(to: iovec())
        // Touched now, so a lecture's first big fan-out takes no page faults on the send path.
        payloads.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Self.slotSize)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * controlSpace)
    }

    deinit {
        payloads.deallocate()
        lengths.deallocate()
        names.deallocate()
        nameLengths.deallocate()
        nextForDestination.deallocate()
        heads.deallocate()
        vectors.deallocate()
        messages.deallocate()
        segmentCounts.deallocate()
        controls.deallocate()
        urgentName.deallocate()
        urgentVector.deallocate()
    }

    package func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        guard datagram.count <= Self.slotSize, let base = datagram.baseAddress else { return dropped &+= 1 }
        if count == capacity { flush() }
        (payloads + count * Self.slotSize).copyMemory(from: base, byteCount: datagram.count)
        queue(datagram.count, to: destination)
    }

    /// The next free slot, so the engine writes a forwarded packet where it is sent from (no copy).
    package func reserve(_ bytes: Int) -> UnsafeMutableRawBufferPointer? {
        guard bytes <= Self.slotSize else { return nil }
        if count == capacity { flush() }
        return UnsafeMutableRawBufferPointer(start: payloads + count * Self.slotSize, count: Self.slotSize)
    }

    package func commitReserved(_ length: Int, to destination: TransportAddress) {
        guard length > 0, length <= Self.slotSize, count < capacity else { return dropped &+= 1 }
        queue(length, to: destination)
    }

    /// Sends one datagram at once in a `sendmmsg` of its own, leaving the queue as it is. The datagram may sit in
    /// the slot `reserve` lent: the kernel has copied it when this returns.
    package func sendNow(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        guard let base = datagram.baseAddress, !datagram.isEmpty, let nameLength = writeName(destination, into: urgentName)
        else { return dropped &+= 1 }
        urgentVector.pointee = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: datagram.count)
        var message = cudpbatch_mmsghdr()
        message.msg_hdr.msg_name = UnsafeMutableRawPointer(urgentName)
        message.msg_hdr.msg_namelen = nameLength
        message.msg_hdr.msg_iov = urgentVector
        message.msg_hdr.msg_iovlen = 1
        var result: CInt
        repeat {
            result = cudpbatch_sendmmsg(socket, &message, 1, 0)
            sendCalls &+= 1
        } while result < 0 && errno == EINTR
        if result == 1 {
            messagesSent &+= 1
            sent &+= 1
        } else {
            dropped &+= 1
        }
    }

    /// Queues the datagram already in slot `count`.
    private func queue(_ length: Int, to destination: TransportAddress) {
        guard let nameLength = writeName(destination, into: names + count) else { return dropped &+= 1 }
        lengths[count] = length
        nameLengths[count] = nameLength
        nextForDestination[count] = -1
        if let tail = tails.exchange(destination, slot: count) {
            nextForDestination[tail] = count
        } else {
            heads[headCount] = count
            headCount += 1
        }
        count += 1
    }

    /// Sends what is queued, destination by destination. A full socket buffer drops the rest
    /// (counted): waiting would only deliver stale media later and grow memory without bound.
    package func flush() {
        guard count > 0 else { return }
        let messageCount = buildMessages()
        var next = 0
        while next < messageCount {
            let result = cudpbatch_sendmmsg(socket, messages + next, UInt32(messageCount - next), 0)
            sendCalls &+= 1
            if result > 0 {
                messagesSent &+= UInt64(result)
                for index in next..<(next + Int(result)) { sent &+= UInt64(segmentCounts[index]) }
                next += Int(result)
                continue
            }
            let error = errno
            switch error {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK, ENOBUFS:
                for index in next..<messageCount { dropped &+= UInt64(segmentCounts[index]) }
                next = messageCount
            default:
                // This message's destination is refused or unroutable; the rest may be fine. A
                // device that cannot segment refuses GSO (EIO): stop asking for it.
                if segmentCounts[next] > 1, error == EIO || error == EINVAL { segmentation = false }
                dropped &+= UInt64(segmentCounts[next])
                next += 1
            }
        }
        count = 0
        headCount = 0
        tails.removeAll()
    }

    /// One message per run of datagrams to a destination that GSO can carry: equal sizes, where
    /// only the last may be shorter. Returns the number of messages.
    private func buildMessages() -> Int {
        var messageCount = 0
        var vectorCount = 0
        for head in 0..<headCount {
            var slot = heads[head]
            while slot >= 0 {
                let segmentSize = lengths[slot]
                let firstVector = vectorCount
                var segments = 0
                var bytes = 0
                var member = slot
                while member >= 0, segments < Self.maximumSegments, lengths[member] <= segmentSize,
                    bytes + lengths[member] <= Self.maximumSegmentedBytes
                {
                    vectors[vectorCount] = iovec(iov_base: payloads + member * Self.slotSize, iov_len: lengths[member])
                    vectorCount += 1
                    segments += 1
                    bytes += lengths[member]
                    let shorter = lengths[member] < segmentSize
                    member = nextForDestination[member]
                    if shorter || !segmentation { break }
                }
                var message = cudpbatch_mmsghdr()
                message.msg_hdr.msg_name = UnsafeMutableRawPointer(names + slot)
                message.msg_hdr.msg_namelen = nameLengths[slot]
                message.msg_hdr.msg_iov = vectors + firstVector
                message.msg_hdr.msg_iovlen = segments
                if segments > 1 {
                    cudpbatch_set_segment_size(
                        &message.msg_hdr, controls + messageCount * controlSpace, UInt16(segmentSize))
                    segmentedMessages &+= 1
                }
                messages[messageCount] = message
                segmentCounts[messageCount] = segments
                messageCount += 1
                slot = member
            }
        }
        return messageCount
    }

    private func writeName(_ address: TransportAddress, into name: UnsafeMutablePointer<sockaddr_in6>) -> socklen_t? {
        switch (address.ip, Int32(family)) {
        case (.v4(let ip), AF_INET):
            return UnsafeMutableRawPointer(name).withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                sin.pointee = sockaddr_in()
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = address.port.bigEndian
                sin.pointee.sin_addr.s_addr = ip.bigEndian
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        case (.v4(let ip), _):
            // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) reaches IPv4 peers from a dual-stack socket.
            return writeIPv6(high: 0, low: 0xFFFF_0000_0000 | UInt64(ip), port: address.port, into: name)
        case (.v6(let high, let low), AF_INET6):
            return writeIPv6(high: high, low: low, port: address.port, into: name)
        case (.v6, _):
            return nil
        }
    }

    private func writeIPv6(high: UInt64, low: UInt64, port: UInt16, into name: UnsafeMutablePointer<sockaddr_in6>)
        -> socklen_t
    {
        name.pointee = sockaddr_in6()
        name.pointee.sin6_family = sa_family_t(AF_INET6)
        name.pointee.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &name.pointee.sin6_addr) { bytes in
            bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }
}
