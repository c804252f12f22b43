internal import CUDPBatch
import STUN

#if canImport(Glibc)
import Glibc
#endif

/// The relay's receive path: when the worker's `WorkerLoop` finds the socket readable, one `recvmmsg`
/// into slots allocated once, with source addresses taken straight from the kernel's `sockaddr`s, and
/// datagrams decrypted where they landed. Through NIO each would cost a `ByteBuffer`, a boxed envelope,
/// a copy, and its source address formatted as a string.
///
/// Confined to its worker's event loop, like the socket's other users.
package final class DatagramReader {
    /// Messages per `recvmmsg`; a read that fills them all is followed by another.
    package static let messagesPerRead = 32

    /// Bytes per slot: a datagram, or a coalesced (GRO) run of them when receive offload is on.
    package let slotSize: Int
    /// Datagrams that arrived inside coalesced (GRO) reads, and those reads.
    package private(set) var coalescedDatagrams: UInt64 = 0
    package private(set) var coalescedReads: UInt64 = 0
    private let socket: CInt
    private let payloads: UnsafeMutableRawPointer
    private let names: UnsafeMutablePointer<sockaddr_in6>
    private let vectors: UnsafeMutablePointer<iovec>
    private let messages: UnsafeMutablePointer<cudpbatch_mmsghdr>
    private let controlSpace: Int
    private let controls: UnsafeMutableRawPointer

    package init(socket: CInt, offload: Bool) {
        self.socket = socket
        slotSize = offload ? 65_536 : 2_048
        let count = Self.messagesPerRead
        payloads = .allocate(byteCount: count * slotSize, alignment: 16)
        names = .allocate(capacity: count)
        names.initialize(repeating: sockaddr_in6(), count: count)
        vectors = .allocate(capacity: count)
        messages = .allocate(capacity: count)
        messages.initialize(repeating: cudpbatch_mmsghdr(), count: count)
        controlSpace = offload ? cudpbatch_receive_control_space() : 0
        controls = .allocate(byteCount: max(1, count * controlSpace), alignment: 16)
        for index in 0..<count {
            vectors[index] = iovec(iov_base: payloads + index * slotSize, iov_len: slotSize)
        }
    }

    deinit {
        payloads.deallocate()
        names.deallocate()
        vectors.deallocate()
        messages.deallocate()
        controls.deallocate()
    }

    /// Reads what is waiting, up to `maxMessages` (at most `messagesPerRead`), and hands each datagram to `body` with its
    /// source; a coalesced read is split back into its datagrams. Returns the messages read: 0 when nothing
    /// is waiting or the read failed (a UDP socket's errors, such as ICMP unreachable from a departed peer,
    /// are not fatal and are left for the next read).
    @discardableResult
    package func read(
        maxMessages: Int = messagesPerRead, _ body: (UnsafeMutableRawBufferPointer, TransportAddress) -> Void
    ) -> Int {
        let count = min(max(1, maxMessages), Self.messagesPerRead)
        for index in 0..<count {
            messages[index].msg_hdr.msg_name = UnsafeMutableRawPointer(names + index)
            messages[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
            messages[index].msg_hdr.msg_iov = vectors + index
            messages[index].msg_hdr.msg_iovlen = 1
            messages[index].msg_hdr.msg_control = controlSpace > 0 ? controls + index * controlSpace : nil
            messages[index].msg_hdr.msg_controllen = controlSpace
            messages[index].msg_hdr.msg_flags = 0
        }
        let received = cudpbatch_recvmmsg(socket, messages, UInt32(count))
        guard received > 0 else { return 0 }
        for index in 0..<Int(received) {
            let length = min(Int(messages[index].msg_len), slotSize)
            guard let source = Self.source(names + index, length: messages[index].msg_hdr.msg_namelen) else { continue }
            let payload = UnsafeMutableRawBufferPointer(start: payloads + index * slotSize, count: length)
            let segment = controlSpace > 0 ? Int(cudpbatch_received_segment_size(&messages[index].msg_hdr)) : 0
            guard segment > 0, length > segment else {
                body(payload, source)
                continue
            }
            coalescedReads &+= 1
            var start = 0
            while start < length {
                let end = min(start + segment, length)
                coalescedDatagrams &+= 1
                body(UnsafeMutableRawBufferPointer(rebasing: payload[start..<end]), source)
                start = end
            }
        }
        return Int(received)
    }

    /// Reads until nothing more is waiting or `maxReads` reads were made, and returns the messages read.
    /// The bound keeps a flood from holding the event loop: what is left waits for the next wake-up, after
    /// the loop's timers and other channels had their turn.
    @discardableResult
    package func drain(maxReads: Int, _ body: (UnsafeMutableRawBufferPointer, TransportAddress) -> Void) -> Int {
        var total = 0
        for _ in 0..<max(0, maxReads) {
            let count = read(body)
            total += count
            if count < Self.messagesPerRead { break }
        }
        return total
    }

    /// The kernel's `sockaddr` as the relay's address type, IPv4-mapped IPv6 as IPv4 (as NIO's path gives it).
    private static func source(_ name: UnsafeMutablePointer<sockaddr_in6>, length: socklen_t) -> TransportAddress? {
        let raw = UnsafeRawPointer(name)
        switch Int32(raw.load(as: sa_family_t.self)) {
        case AF_INET where Int(length) >= MemoryLayout<sockaddr_in>.size:
            let address = raw.load(as: sockaddr_in.self)
            return TransportAddress(
                ip: .v4(UInt32(bigEndian: address.sin_addr.s_addr)), port: UInt16(bigEndian: address.sin_port))
        case AF_INET6 where Int(length) >= MemoryLayout<sockaddr_in6>.size:
            var bytes = name.pointee.sin6_addr
            let port = UInt16(bigEndian: name.pointee.sin6_port)
            return withUnsafeBytes(of: &bytes) { TransportAddress(addressBytes: $0, port: port) }?.canonicalized
        default:
            return nil
        }
    }
}
