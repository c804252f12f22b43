import RelayServer

#if canImport(Glibc)
import Glibc
#endif

/// Two bound UDP sockets on loopback for the receive-path tests: one to read, one to send to it from.
enum SocketPair {
    static func make(host: String = "127.0.0.1") throws -> (
        receiver: (descriptor: CInt, family: CInt), sender: (descriptor: CInt, family: CInt), port: UInt16
    ) {
        let receiver = try RelaySocket.bind(host: host, port: 0, bufferBytes: 4 << 20)
        let sender = try RelaySocket.bind(host: "127.0.0.1", port: 0, bufferBytes: 4 << 20)
        return (receiver, sender, port(of: receiver.descriptor))
    }

    /// The port a socket is bound to.
    static func port(of descriptor: CInt) -> UInt16 {
        var name = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(descriptor, $0, &length) }
        }
        return withUnsafeBytes(of: name) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }
}
