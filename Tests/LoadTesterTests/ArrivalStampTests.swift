import Testing

@testable import LoadTester

#if canImport(Glibc)
    import Glibc
#endif

/// A viewer's arrival times are the kernel's: a datagram that waited in the socket while the tester was busy
/// is dated when it arrived, not when it was read. Without the stamp its age would be ~0.
@Suite struct ArrivalStampTests {
    @Test func aDatagramReadLateIsDatedWhenItArrived() throws {
        let receiver = try NamespaceSocket.bound(address: "127.0.0.1").get()
        defer { close(receiver) }
        let sender = try NamespaceSocket.bound(address: "127.0.0.1").get()
        defer { close(sender) }
        let stamp = ArrivalStamp(descriptor: receiver)

        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(receiver, $0, &length) }
        }
        #expect(named == 0)
        let payload: [UInt8] = [0x80, 0x60, 0, 1]
        func send() -> Int {
            withUnsafePointer(to: &address) { target in
                target.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        // The kernel turns receive stamping on for the machine in deferred work when the first socket asks for
        // it (`net_enable_timestamp`), so a datagram sent right away may go unstamped (read as "now") when no
        // other socket has it on. Wait, up to 2 s, until a datagram held 10 ms comes back stamped.
        for _ in 0..<200 {
            #expect(send() == payload.count)
            usleep(10_000)
            #expect(recv(receiver, &buffer, buffer.count, 0) == payload.count)
            let (now, arrival) = stamp.read()
            if now - arrival >= .milliseconds(5) { break }
        }

        #expect(send() == payload.count)
        // The tester is busy for 80 ms; then it reads the datagram and asks when it arrived.
        usleep(80_000)
        #expect(recv(receiver, &buffer, buffer.count, 0) == payload.count)
        let (now, arrival) = stamp.read()
        let age = now - arrival
        #expect(age >= .milliseconds(75), "dated \(age) before the read")
        #expect(age < .seconds(1))
    }
}
