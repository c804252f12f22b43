import Testing
@testable import RTCP

/// Malformed input must be rejected, never trap or read out of bounds (debug builds check every
/// raw-buffer subscript, so an out-of-bounds read would crash the test process).
@Suite struct RobustnessTests {
    static func validPackets() throws -> [[UInt8]] {
        let info = SenderInfo(ntpTimestamp: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5)
        let chunks: [SourceDescription.Chunk] = [
            .init(ssrc: 1, items: [.cname("user@host"), .init(type: .tool, value: Array("relay".utf8))]),
            .init(ssrc: 2, items: []),
        ]
        var arrivals: [TransportWideFeedback.Arrival] = []
        for index in 0..<40 {
            let time: Int64? = index % 7 == 0 ? nil : Int64(index * index * 700)
            arrivals.append(.init(sequenceNumber: UInt16(index), time: time))
        }
        var packets: [[UInt8]] = []
        packets.append(try SenderReport.build(ssrc: 1, senderInfo: info, reportBlocks: [ReportBlock(ssrc: 6, cumulativeLost: -1)]))
        packets.append(try ReceiverReport.build(ssrc: 1, reportBlocks: [ReportBlock(ssrc: 2), ReportBlock(ssrc: 3)]))
        packets.append(try SourceDescription.build(chunks: chunks))
        packets.append(try Goodbye.build(sources: [1, 2], reason: Array("timeout".utf8)))
        packets.append(try GenericNack.build(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [1, 5, 30, 31, 100]))
        packets.append(try TransportWideFeedback.build(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 3, arrivals: arrivals))
        packets.append(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2).build())
        packets.append(try FullIntraRequest.build(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 3)]))
        packets.append(try ReceiverEstimatedMaxBitrate.build(senderSSRC: 1, bitrate: 2_500_000, ssrcs: [2, 3]))
        return packets
    }

    /// Parses `bytes` every way the module offers and touches every decoded item.
    static func exercise(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            if let compound = try? RTCPCompoundPacket(validating: buffer) {
                for packet in compound {
                    #expect(packet.range.upperBound <= buffer.count)
                    consume(packet.view)
                }
            }
            consume(try? SenderReport(parsing: buffer))
            consume(try? ReceiverReport(parsing: buffer))
            if let sdes = try? SourceDescription(parsing: buffer) {
                for chunk in sdes.chunks { for item in chunk.items { _ = item.value.reduce(0, &+) } }
            }
            if let bye = try? Goodbye(parsing: buffer) { _ = bye.sources.reduce(0, &+); _ = bye.reason?.count }
            if let nack = try? GenericNack(parsing: buffer) { _ = nack.lostSequenceNumbers.reduce(0, &+) }
            if let twcc = try? TransportWideFeedback(parsing: buffer) {
                var seen = 0
                for report in twcc.packets {
                    seen += 1
                    _ = report.receiveDelta
                }
                #expect(seen == Int(twcc.packetStatusCount))
            }
            _ = try? PictureLossIndication(parsing: buffer)
            if let fir = try? FullIntraRequest(parsing: buffer) { _ = Array(fir.entries) }
            if let remb = try? ReceiverEstimatedMaxBitrate(parsing: buffer) { _ = Array(remb.ssrcs) }
        }
    }

    static func consume(_ view: RTCPPacketView?) {
        switch view {
        case .senderReport(let sr): _ = Array(sr.reportBlocks)
        case .receiverReport(let rr): _ = Array(rr.reportBlocks)
        case .sourceDescription(let sdes): for chunk in sdes.chunks { _ = chunk.cname }
        case .goodbye(let bye): _ = Array(bye.sources)
        case .genericNack(let nack): _ = Array(nack.lostSequenceNumbers)
        case .transportWideFeedback(let twcc): _ = Array(twcc.packets)
        case .fullIntraRequest(let fir): _ = Array(fir.entries)
        case .receiverEstimatedMaxBitrate(let remb): _ = Array(remb.ssrcs)
        case .pictureLossIndication, .unknown, .malformed, nil: break
        }
    }

    static func consume(_ report: SenderReport?) { _ = report.map { Array($0.reportBlocks) } }
    static func consume(_ report: ReceiverReport?) { _ = report.map { Array($0.reportBlocks) } }

    @Test func everyTruncationOfValidPacketsIsRejectedCleanly() throws {
        let packets = try Self.validPackets()
        let compound = packets.reduce([], +)
        let parsedCount = try compound.withUnsafeBytes { try RTCPCompoundPacket(validating: $0).map(\.range).count }
        #expect(parsedCount == packets.count)
        for bytes in packets + [compound] {
            for length in 0..<bytes.count {
                let truncated = Array(bytes.prefix(length))
                Self.exercise(truncated)
                // A datagram cut mid-packet never validates; one cut between packets does.
                let valid = truncated.withUnsafeBytes { (try? RTCPCompoundPacket(validating: $0)) != nil }
                #expect(valid == Self.boundaries(packets, in: bytes).contains(length))
            }
        }
    }

    /// Packet end offsets of `bytes` when it is the concatenation of `packets` (or one of them).
    static func boundaries(_ packets: [[UInt8]], in bytes: [UInt8]) -> Set<Int> {
        if packets.contains(bytes) { return [bytes.count] }
        var ends: Set<Int> = []
        var offset = 0
        for packet in packets {
            offset += packet.count
            ends.insert(offset)
        }
        return ends
    }

    @Test func randomBytesNeverTrap() {
        var rng = SeededGenerator(seed: 0xF022)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...96, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Bias towards plausible headers so parsing gets past the first checks.
            if count >= 4, Bool.random(using: &rng) {
                bytes[0] = 0x80 | (bytes[0] & 0x3F)
                bytes[1] = UInt8.random(in: 200...207, using: &rng)
                bytes[2] = 0
                bytes[3] = UInt8(min(count / 4, Int.random(in: 0...24, using: &rng)))
            }
            Self.exercise(bytes)
        }
    }

    @Test func bitFlipsOfValidPacketsNeverTrap() throws {
        var rng = SeededGenerator(seed: 0xB17)
        let packets = try Self.validPackets()
        for _ in 0..<20_000 {
            var bytes = packets.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            }
            Self.exercise(bytes)
        }
    }

    @Test func writersReportShortBuffersInsteadOfOverrunning() throws {
        var storage = [UInt8](repeating: 0xEE, count: 128)
        for length in 0..<64 {
            storage.withUnsafeMutableBytes { whole in
                let buffer = UnsafeMutableRawBufferPointer(rebasing: whole[0..<length])
                _ = try? SenderReport.write(
                    ssrc: 1, senderInfo: SenderInfo(ntpTimestamp: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0),
                    reportBlocks: [ReportBlock(ssrc: 1)], into: buffer)
                _ = try? SourceDescription.write(chunks: [.init(ssrc: 1, items: [.cname("abcdefgh")])], into: buffer)
                _ = try? Goodbye.write(sources: [1], reason: Array("bye now".utf8), into: buffer)
                _ = try? GenericNack.write(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [1, 40, 80], into: buffer)
                _ = try? TransportWideFeedback.write(
                    senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0,
                    arrivals: [.init(sequenceNumber: 1, time: 0), .init(sequenceNumber: 9, time: 90_000)], into: buffer)
                _ = try? PictureLossIndication(senderSSRC: 1, mediaSSRC: 2).write(into: buffer)
                _ = try? FullIntraRequest.write(senderSSRC: 1, entries: [.init(ssrc: 1, sequenceNumber: 1)], into: buffer)
                _ = try? ReceiverEstimatedMaxBitrate.write(senderSSRC: 1, bitrate: 1, ssrcs: [1, 2], into: buffer)
            }
            #expect(storage[64...].allSatisfy { $0 == 0xEE })
        }
    }
}
