import Testing
import STUN

@Suite struct TransportAddressTests {
    @Test("IPv4 text parses and prints")
    func ipv4() throws {
        let address = try #require(TransportAddress(ip: "192.0.2.1", port: 32853))
        #expect(address == TransportAddress(ipv4: 192, 0, 2, 1, port: 32853))
        #expect(address.description == "192.0.2.1:32853")
        #expect(address.addressBytes == [192, 0, 2, 1])
        #expect(address.isIPv4)
    }

    @Test("IPv6 text parses and prints canonically (RFC 5952)", arguments: [
        ("2001:db8:1234:5678:11:2233:4455:6677", "2001:db8:1234:5678:11:2233:4455:6677"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ])
    func ipv6(text: String, canonical: String) throws {
        let address = try #require(TransportAddress(ip: text, port: 9))
        #expect(!address.isIPv4)
        #expect(address.ipDescription == canonical)
        #expect(TransportAddress(ip: canonical, port: 9) == address)
    }

    @Test("Invalid IP text is rejected", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "1::2::3", "12345::", "g::1", ":::", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "+1::",
    ])
    func invalid(text: String) {
        #expect(TransportAddress(ip: text, port: 1) == nil)
    }

    @Test("IPv4-mapped IPv6 canonicalizes to IPv4; other addresses are unchanged")
    func canonicalized() throws {
        let mapped = try #require(TransportAddress(ip: "::ffff:192.0.2.1", port: 5))
        #expect(mapped.canonicalized == TransportAddress(ipv4: 192, 0, 2, 1, port: 5))
        let compatible = try #require(TransportAddress(ip: "::192.0.2.1", port: 5))
        #expect(compatible.canonicalized == compatible)
        let v6 = try #require(TransportAddress(ip: "2001:db8::ffff:c000:201", port: 5))
        #expect(v6.canonicalized == v6)
    }

    @Test("Byte initializer accepts only 4 or 16 bytes")
    func fromBytes() {
        #expect(TransportAddress(addressBytes: [127, 0, 0, 1], port: 80)?.description == "127.0.0.1:80")
        #expect(TransportAddress(addressBytes: [UInt8](repeating: 0, count: 15) + [1], port: 80)?.description == "[::1]:80")
        #expect(TransportAddress(addressBytes: [1, 2, 3], port: 80) == nil)
    }
}
