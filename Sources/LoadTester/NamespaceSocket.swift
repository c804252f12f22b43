import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A UDP socket that lives in another network namespace (`ip netns add <name>`), so one simulated
/// browser's traffic crosses that namespace's links (a veth pair with netem or a random-drop rule on
/// it) while the rest of the run stays on the host. A socket keeps the namespace it was created in;
/// `setns(2)` only switches the calling thread, so the switch happens on a thread of its own that
/// ends right after. Needs CAP_SYS_ADMIN (root), like `ip netns exec`.
enum NamespaceSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A bound, non-blocking IPv4 UDP socket in `namespace` (a name under /var/run/netns, or a path
    /// such as /proc/<pid>/ns/net) on `address`, port chosen by the kernel.
    static func udp(namespace: String, address: String) throws -> CInt {
        let path = namespace.contains("/") ? namespace : "/var/run/netns/\(namespace)"
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            outcome.result = make(path: path, address: address)
            done.signal()
        }
        thread.start()
        done.wait()
        return try outcome.result.get()
    }

    /// Written by the namespace thread before it signals, read after the wait.
    private final class Outcome: @unchecked Sendable {
        var result: Result<CInt, Failure> = .failure(Failure(description: "namespace thread did not run"))
    }

    /// `setns(2)`: glibc has it, but its header declares it only under _GNU_SOURCE, which Swift's
    /// Glibc module is not built with; so it is looked up at run time.
    private typealias SetNamespace = @convention(c) (CInt, CInt) -> CInt
    private static let cloneNewNet: CInt = 0x4000_0000

    private static func setNamespace(_ descriptor: CInt) -> CInt {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "setns") else {
            errno = ENOSYS
            return -1
        }
        return unsafeBitCast(symbol, to: SetNamespace.self)(descriptor, cloneNewNet)
    }

    private static func make(path: String, address: String) -> Result<CInt, Failure> {
        let namespace = open(path, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { return .failure(Failure(description: "open \(path): \(errorText())")) }
        defer { close(namespace) }
        guard setNamespace(namespace) == 0 else {
            return .failure(Failure(description: "setns \(path): \(errorText()) (needs root)"))
        }
        return bound(address: address).mapError { Failure(description: "\($0.description) in \(path)") }
    }

    /// A bound, non-blocking IPv4 UDP socket on `address` in the calling thread's namespace, port chosen by
    /// the kernel. The tester makes its sockets itself (NIO adopts them) so that it knows their descriptors.
    static func bound(address: String) -> Result<CInt, Failure> {
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = 0
        guard inet_pton(AF_INET, address, &local.sin_addr) == 1 else {
            return .failure(Failure(description: "\(address) is not an IPv4 address"))
        }
        let socket = Glibc.socket(AF_INET, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return .failure(Failure(description: "socket: \(errorText())")) }
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(socket)
            return .failure(Failure(description: "bind \(address): \(errorText())"))
        }
        return .success(socket)
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
