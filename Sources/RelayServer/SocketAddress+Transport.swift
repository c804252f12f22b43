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
