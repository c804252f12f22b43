import NIOCore
import STUN

#if canImport(Glibc)
import Glibc
#endif

extension TransportAddress {
    /// The relay's protocol modules know nothing of NIO; this is the one place addresses cross over.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self.init(ip: .v4(UInt32(bigEndian: v4.address.sin_addr.s_addr)), port: UInt16(bigEndian: v4.address.sin_port))
        case .v6(let v6):
            var storage = v6.address.sin6_addr
            let port = UInt16(bigEndian: v6.address.sin6_port)
            guard let parsed = withUnsafeBytes(of: &storage, { TransportAddress(addressBytes: $0, port: port) })
            else { return nil }
            self = parsed.canonicalized
        case .unixDomainSocket:
            return nil
        }
    }
}

extension SocketAddress {
    init(_ address: TransportAddress) {
        switch address.ip {
        case .v4(let ip):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = address.port.bigEndian
            sin.sin_addr.s_addr = ip.bigEndian
            self.init(sin, host: "")
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = address.port.bigEndian
            address.withAddressBytes { bytes in
                withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyMemory(from: bytes) }
            }
            self.init(sin6, host: "")
        }
    }
}
