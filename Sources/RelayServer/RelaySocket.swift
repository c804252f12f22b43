internal import CUDPBatch
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A worker's (or a cascade pipe's) UDP socket, made by hand: its `WorkerLoop` watches it, the
/// `DatagramReader` reads it with `recvmmsg` and the `DatagramBatch` sends on it with `sendmmsg`.
package enum RelaySocket {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// A non-blocking UDP socket bound to `host:port`, with kernel buffers of `bufferBytes` so a
    /// burst fanned out to hundreds of subscribers fits (Linux's default is about 200 KiB). No
    /// `SO_REUSEADDR`: on Linux it would let a second relay silently share the port.
    package static func bind(host: String, port: Int, bufferBytes: Int) throws -> (descriptor: CInt, family: CInt) {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: CInt = switch address {
        case .v4: AF_INET
        case .v6: AF_INET6
        case .unixDomainSocket: throw Failure(description: "relay cannot bind a unix socket: \(host)")
        }
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket") }
        do {
            if family == AF_INET6 { try set(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0) }
            for (forced, plain) in [(SO_SNDBUFFORCE, SO_SNDBUF), (SO_RCVBUFFORCE, SO_RCVBUF)] {
                // FORCE passes the sysctl cap when privileged; otherwise take what the cap allows.
                if (try? set(descriptor, SOL_SOCKET, forced, CInt(bufferBytes))) == nil {
                    try set(descriptor, SOL_SOCKET, plain, CInt(bufferBytes))
                }
            }
            let bound = address.withSockAddr { Glibc.bind(descriptor, $0, socklen_t($1)) }
            guard bound == 0 else { throw failure("bind \(host):\(port)") }
            return (descriptor, family)
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// UDP GRO on reads (Linux 5.0+): whether the kernel took it.
    package static func enableReceiveOffload(_ descriptor: CInt) -> Bool {
        cudpbatch_enable_receive_offload(descriptor) == 0
    }

    private static func set(_ descriptor: CInt, _ level: CInt, _ option: CInt, _ value: CInt) throws {
        var value = value
        guard setsockopt(descriptor, level, option, &value, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
            throw failure("setsockopt \(option)")
        }
    }

    private static func failure(_ operation: String) -> Failure {
        Failure(description: "\(operation): \(String(cString: strerror(errno)))")
    }
}
