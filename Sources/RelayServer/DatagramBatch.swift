internal import CUDPBatch
import Relay
import STUN

#if canImport(Glibc)
import Glibc
#endif

/// The relay's send path. Each datagram the engine emits is copied into a preallocated slot, and a
/// full batch (or the end of a read batch) leaves in one `sendmmsg`, so forwarding allocates
/// nothing and pays one syscall per batch instead of one per packet. Going through NIO's pipeline
/// would cost a `ByteBuffer` and a boxed envelope per forwarded packet, and queue without bound
/// when the kernel pushes back; a relay should rather drop late media, as the network would.
///
/// Confined to its worker's event loop, which owns the socket.
final class DatagramBatch: DatagramOutput {
    /// Larger than any datagram the relay emits (RTP is MTU-bounded; the engine's scratch is 2 KiB).
    static let slotSize = 2_048

    let capacity: Int
    /// Datagrams the kernel accepted.
    private(set) var sent: UInt64 = 0
    /// Datagrams dropped at the socket: its buffer was full, or the destination was unreachable.
    private(set) var dropped: UInt64 = 0

    private let socket: CInt
    private let family: sa_family_t
    private var count = 0
    private let payloads: UnsafeMutableRawPointer
    private let names: UnsafeMutablePointer<sockaddr_in6>
    private let vectors: UnsafeMutablePointer<iovec>
    private let messages: UnsafeMutablePointer<cudpbatch_mmsghdr>

    /// `family` is the socket's (`AF_INET` or `AF_INET6`); IPv4 destinations are v4-mapped on IPv6.
    init(socket: CInt, family: CInt, capacity: Int = 64) {
        self.socket = socket
        self.family = sa_family_t(family)
        self.capacity = capacity
        payloads = .allocate(byteCount: capacity * Self.slotSize, alignment: 16)
        names = .allocate(capacity: capacity)
        vectors = .allocate(capacity: capacity)
        messages = .allocate(capacity: capacity)
        for index in 0..<capacity {
            vectors[index] = iovec(iov_base: payloads + index * Self.slotSize, iov_len: 0)
            var message = cudpbatch_mmsghdr()
            message.msg_hdr.msg_name = UnsafeMutableRawPointer(names + index)
            message.msg_hdr.msg_iov = vectors + index
            message.msg_hdr.msg_iovlen = 1
            messages[index] = message
        }
    }

    deinit {
        payloads.deallocate()
        names.deallocate()
        vectors.deallocate()
        messages.deallocate()
    }

    func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
        guard datagram.count <= Self.slotSize, let base = datagram.baseAddress else { return dropped += 1 }
        if count == capacity { flush() }
        guard let nameLength = writeName(destination, into: names + count) else { return dropped += 1 }
        (payloads + count * Self.slotSize).copyMemory(from: base, byteCount: datagram.count)
        vectors[count].iov_len = datagram.count
        messages[count].msg_hdr.msg_namelen = nameLength
        count += 1
    }

    /// Sends what is queued. A full socket buffer drops the rest of the batch (counted): waiting
    /// would only deliver stale media later and grow memory without bound.
    func flush() {
        var next = 0
        while next < count {
            let result = cudpbatch_sendmmsg(socket, messages + next, UInt32(count - next), 0)
            if result > 0 {
                next += Int(result)
                sent &+= UInt64(result)
                continue
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK, ENOBUFS:
                dropped &+= UInt64(count - next)
                next = count
            default:
                // This message's destination is refused or unroutable; the rest may be fine.
                dropped &+= 1
                next += 1
            }
        }
        count = 0
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
