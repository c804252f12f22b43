/// Points small SSRC values in an input's RTCP at real ones, so mutations reach real streams.
extension ConnectedRoom {
    /// Packet by packet through the compound: sender SSRC → `own`, media SSRC / report blocks / FIR /
    /// REMB entries → `remote`, where values 0...3 pick an entry (modulo the table's size); NACK packet
    /// ids become offsets from the first sequence number received on the named SSRC.
    func mapRTCP(_ packet: inout [UInt8], own: [UInt32], remote: [UInt32], nackBase: [UInt32: UInt16]?) {
        func mapped(_ value: UInt32, _ table: [UInt32]) -> UInt32 {
            value < 4 && !table.isEmpty ? table[Int(value) % table.count] : value
        }
        var offset = 0
        while offset + 8 <= packet.count {
            let length = ((Int(packet[offset + 2]) << 8 | Int(packet[offset + 3])) + 1) * 4
            let end = min(offset + length, packet.count)
            let type = packet[offset + 1]
            let format = packet[offset] & 0x1F
            write(mapped(read(packet, at: offset + 4), own), into: &packet, at: offset + 4)
            // Report blocks (SR: after the 20-byte sender info; RR: right after the sender SSRC).
            if type == 200 || type == 201 {
                var block = offset + (type == 200 ? 28 : 8)
                while block + 24 <= end {
                    write(mapped(read(packet, at: block), remote), into: &packet, at: block)
                    block += 24
                }
            }
            if type == 205 || type == 206, offset + 12 <= end {
                let media = mapped(read(packet, at: offset + 8), remote)
                write(media, into: &packet, at: offset + 8)
                if type == 205, format == 1, let base = nackBase?[media] {
                    var entry = offset + 12
                    while entry + 4 <= end {
                        let id = UInt16(packet[entry]) << 8 | UInt16(packet[entry + 1])
                        let real = id &+ base
                        packet[entry] = UInt8(real >> 8)
                        packet[entry + 1] = UInt8(real & 0xFF)
                        entry += 4
                    }
                }
                if type == 206, format == 4 {
                    var entry = offset + 12
                    while entry + 8 <= end {
                        write(mapped(read(packet, at: entry), remote), into: &packet, at: entry)
                        entry += 8
                    }
                }
                if type == 206, format == 15, offset + 20 <= end {
                    var entry = offset + 20
                    while entry + 4 <= end {
                        write(mapped(read(packet, at: entry), remote), into: &packet, at: entry)
                        entry += 4
                    }
                }
            }
            offset += length
        }
    }

    func read(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    func write(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        guard offset + 4 <= bytes.count else { return }
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8(value >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(value >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }
}
