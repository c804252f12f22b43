import STUN
import Testing

@testable import RelayServer

@Suite struct DestinationTableTests {
    @Test func tracksTheLatestSlotPerDestinationAndEmptiesPerBatch() {
        var table = DestinationTable(minimumCapacity: 2_048)
        // Ports of one host, hosts of one port, and IPv6: the kinds of keys that collide in weak hashes.
        var addresses: [TransportAddress] = []
        for index in 0..<700 {
            addresses.append(TransportAddress(ipv4: 127, 0, 0, 1, port: UInt16(10_000 + index)))
            addresses.append(TransportAddress(ipv4: 10, 0, UInt8(index >> 8), UInt8(index & 0xFF), port: 5_000))
        }
        for index in 0..<600 {
            addresses.append(TransportAddress(ip: .v6(high: 0x2001_0db8 << 32, low: UInt64(index)), port: 443))
        }
        for (slot, address) in addresses.enumerated() {
            #expect(table.exchange(address, slot: slot) == nil)
        }
        for (slot, address) in addresses.enumerated() {
            #expect(table.exchange(address, slot: slot + 10_000) == slot)
        }
        for _ in 0..<3 {
            table.removeAll()
            #expect(table.exchange(addresses[0], slot: 1) == nil)
            #expect(table.exchange(addresses[1_999], slot: 2) == nil)
            #expect(table.exchange(addresses[0], slot: 3) == 1)
        }
    }
}
