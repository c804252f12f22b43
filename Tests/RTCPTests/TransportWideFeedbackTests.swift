import Testing
@testable import RTCP

@Suite struct TransportWideFeedbackTests {
    typealias Report = TransportWideFeedback.PacketReport
    typealias Arrival = TransportWideFeedback.Arrival

    func reports(_ bytes: [UInt8]) throws -> (TransportWideFeedbackSummary, [Report]) {
        try bytes.withUnsafeBytes { buffer in
            let feedback = try TransportWideFeedback(parsing: buffer)
            return (TransportWideFeedbackSummary(feedback), Array(feedback.packets))
        }
    }

    /// Uses the run-length example of draft §3.1.3 (`0|00|0000011011101`: 221 × not received) and
    /// the status-vector example of §3.1.4 (`1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0` = 0x9F1C: 1 not
    /// received, 5 received, 3 not received, 3 received, 2 not received), with a base sequence that wraps.
    @Test func draftChunkExamples() throws {
        let bytes = hex("""
            8fcd0007 00000001 00000002
            fff0 00eb 000001 05
            00dd 9f1c
            01020304 05060708
            """)
        let (summary, reports) = try reports(bytes)
        #expect(summary.baseSequenceNumber == 0xFFF0)
        #expect(summary.packetStatusCount == 235)
        #expect(summary.referenceTimeMicroseconds == 64_000)
        #expect(summary.feedbackPacketCount == 5)
        try #require(reports.count == 235)
        #expect(reports.map(\.sequenceNumber) == (0..<235).map { 0xFFF0 &+ UInt16($0) })
        #expect(reports.prefix(222).allSatisfy { $0.status == .notReceived && $0.receiveDelta == nil })
        let tail = reports.dropFirst(222).map(\.receiveDelta)
        #expect(tail == [250, 500, 750, 1000, 1250, nil, nil, nil, 1500, 1750, 2000, nil, nil])
    }

    /// The draft's second examples use a symbol `11` ("received, w/o recv delta") left over from an
    /// earlier revision; §3.1.1 of -01 marks `11` reserved and libwebrtc rejects it, so do we:
    /// run-length `0|11|0000000011000` (0x6018) and vector `1|1|00 11 01 01 01 00 00` (0xcd50).
    @Test func draftExamplesWithReservedSymbolAreRejected() {
        for chunk in ["6018", "cd50"] {
            let bytes = hex("8fcd0005 00000001 00000002 0000 0007 000000 00 \(chunk) 01010101")
            #expect(throws: RTCPError.reservedStatusSymbol) {
                try bytes.withUnsafeBytes { _ = try TransportWideFeedback(parsing: $0) }
            }
        }
    }

    /// Run-length, one-bit and two-bit chunks in one packet, computed by hand from §3.1.3–3.1.5:
    /// `0x2005` = run of 5 small deltas; `0xa701` = 1 0 | 1 0 0 1 1 1 0 0 0 0 0 0 0 1;
    /// `0xd900` = 1 1 | 01 10 01 (00 ×4, beyond the status count).
    @Test func mixedChunkTypes() throws {
        let bytes = hex("""
            8fcd0009 fa17fa17 0a0b0c0d
            03e8 0016 123456 07
            2005 a701 d900
            04 00 01 ff 10   02 03 04 05 06   28 ff9c 00
            """)
        let (summary, reports) = try reports(bytes)
        #expect(summary.senderSSRC == 0xFA17_FA17)
        #expect(summary.mediaSSRC == 0x0A0B_0C0D)
        #expect(summary.referenceTimeMicroseconds == 0x12_3456 * 64_000)
        #expect(summary.feedbackPacketCount == 7)
        let expected: [Report] = [
            .init(sequenceNumber: 1000, status: .receivedSmallDelta, receiveDelta: 1000),
            .init(sequenceNumber: 1001, status: .receivedSmallDelta, receiveDelta: 0),
            .init(sequenceNumber: 1002, status: .receivedSmallDelta, receiveDelta: 250),
            .init(sequenceNumber: 1003, status: .receivedSmallDelta, receiveDelta: 63_750),
            .init(sequenceNumber: 1004, status: .receivedSmallDelta, receiveDelta: 4000),
            .init(sequenceNumber: 1005, status: .receivedSmallDelta, receiveDelta: 500),
            .init(sequenceNumber: 1006, status: .notReceived, receiveDelta: nil),
            .init(sequenceNumber: 1007, status: .notReceived, receiveDelta: nil),
            .init(sequenceNumber: 1008, status: .receivedSmallDelta, receiveDelta: 750),
            .init(sequenceNumber: 1009, status: .receivedSmallDelta, receiveDelta: 1000),
            .init(sequenceNumber: 1010, status: .receivedSmallDelta, receiveDelta: 1250),
        ] + (1011...1017).map { .init(sequenceNumber: $0, status: .notReceived, receiveDelta: nil) } + [
            .init(sequenceNumber: 1018, status: .receivedSmallDelta, receiveDelta: 1500),
            .init(sequenceNumber: 1019, status: .receivedSmallDelta, receiveDelta: 10_000),
            .init(sequenceNumber: 1020, status: .receivedLargeDelta, receiveDelta: -25_000),
            .init(sequenceNumber: 1021, status: .receivedSmallDelta, receiveDelta: 0),
        ]
        #expect(reports == expected)

        // Re-encoding the decoded arrivals gives a packet that decodes to the same reports.
        let rebuilt = try TransportWideFeedback.build(
            senderSSRC: summary.senderSSRC, mediaSSRC: summary.mediaSSRC, feedbackPacketCount: 7,
            arrivals: Self.arrivals(from: reports, reference: summary.referenceTimeMicroseconds),
            referenceTime: summary.referenceTime)
        #expect(try self.reports(rebuilt).1 == expected)
    }

    @Test func negativeReferenceTimeIsSignExtended() throws {
        let bytes = hex("8fcd0005 00000001 00000002 0001 0001 fffffe 00 2001 0a000000")
        let (summary, reports) = try reports(bytes)
        #expect(summary.referenceTime == -2)
        #expect(summary.referenceTimeMicroseconds == -128_000)
        #expect(reports == [.init(sequenceNumber: 1, status: .receivedSmallDelta, receiveDelta: 2500)])
    }

    @Test func builderChoosesChunkTypes() throws {
        func chunks(_ arrivals: [Arrival]) throws -> [UInt16] {
            let bytes = try TransportWideFeedback.build(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: arrivals)
            return try bytes.withUnsafeBytes { buffer in
                let feedback = try TransportWideFeedback(parsing: buffer)
                let chunkBytes = feedback.packets.chunks
                return stride(from: 0, to: chunkBytes.count, by: 2).map { chunkBytes.readUInt16(at: $0) }
            }
        }
        // 20 evenly spaced arrivals: one run of small deltas.
        let steady = (0..<20).map { Arrival(sequenceNumber: UInt16($0), time: 1_000_000 + Int64($0) * 1000) }
        #expect(try chunks(steady) == [0x2014])
        // Each chunk covers as many symbols as it can: a one-bit vector takes the first 10 received
        // and 4 lost, the rest of the loss burst is a run of 16, the final 10 received a run.
        let burst = (0..<40).map { Arrival(sequenceNumber: UInt16($0), time: (10..<30).contains($0) ? nil : Int64($0) * 1000) }
        #expect(try chunks(burst) == [0x8000 | 0b11_1111_1111_0000, 0x0010, 0x200A])
        // Alternating loss packs 14 per one-bit vector.
        let alternating = (0..<16).map { Arrival(sequenceNumber: UInt16($0), time: $0 % 2 == 0 ? Int64($0) * 1000 : nil) }
        #expect(try chunks(alternating) == [0x8000 | 0b10_1010_1010_1010, 0x8000 | 0b10 << 12])
        // A large delta forces two-bit symbols: small, large, not received, small, ...
        let jumpy: [Arrival] = [
            .init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 1, time: 100_000),
            .init(sequenceNumber: 2, time: nil), .init(sequenceNumber: 3, time: 101_000),
        ]
        #expect(try chunks(jumpy) == [0xC000 | 0b01_10_00_01_00_00_00])
        // Sequence gaps in the input are reported as not received.
        let gaps = [Arrival(sequenceNumber: 10, time: 0), Arrival(sequenceNumber: 13, time: 1000)]
        #expect(try chunks(gaps) == [0x8000 | 0b1001_0000_0000_00])
    }

    @Test func builderRejectsUnencodableInput() {
        func build(_ arrivals: [Arrival]) throws(RTCPError) {
            _ = try TransportWideFeedback.build(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: arrivals)
        }
        #expect(throws: RTCPError.valueOutOfRange) { try build([]) }
        // Out of order and duplicate sequence numbers.
        #expect(throws: RTCPError.valueOutOfRange) {
            try build([.init(sequenceNumber: 5, time: 0), .init(sequenceNumber: 4, time: 0)])
        }
        #expect(throws: RTCPError.valueOutOfRange) {
            try build([.init(sequenceNumber: 5, time: 0), .init(sequenceNumber: 5, time: 0)])
        }
        // 8.192 s = 32768 ticks does not fit a signed 16-bit delta.
        #expect(throws: RTCPError.valueOutOfRange) {
            try build([.init(sequenceNumber: 1, time: 0), .init(sequenceNumber: 2, time: 8_192_000)])
        }
        #expect(throws: Never.self) {
            try build([.init(sequenceNumber: 1, time: 0), .init(sequenceNumber: 2, time: 8_191_750)])
        }
    }

    @Test func parserRejectsInconsistentChunks() {
        let cases: [([UInt8], RTCPError)] = [
            // Run-length chunk with the reserved symbol 11.
            (hex("8fcd0005 00000001 00000002 0000 0001 000000 00 6001 00000000"), .reservedStatusSymbol),
            // Two-bit vector containing 11.
            (hex("8fcd0005 00000001 00000002 0000 0002 000000 00 f000 00000000"), .reservedStatusSymbol),
            // Status count 3 but only one chunk covering 1.
            (hex("8fcd0005 00000001 00000002 0000 0003 000000 00 2001 00000000"), .malformedBody),
            // Run of 9 small deltas but only 6 delta bytes.
            (hex("8fcd0006 00000001 00000002 0000 0009 000000 00 2009 00000000 0000"), .malformedBody),
            // No room for the fixed FCI fields.
            (hex("8fcd0003 00000001 00000002 00000000"), .malformedBody),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) { try bytes.withUnsafeBytes { _ = try TransportWideFeedback(parsing: $0) } }
        }
    }

    /// Random arrival patterns: loss bursts, reordering (negative deltas), jumps beyond 63.75 ms,
    /// sequence wrap-around. Decoded absolute times equal the inputs truncated to 250 µs, and
    /// re-encoding the decoded packet reproduces it byte for byte.
    @Test func randomArrivalPatternsRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x7CC)
        for _ in 0..<300 {
            let base = UInt16.random(in: .min ... .max, using: &rng)
            let count = Int.random(in: 1...400, using: &rng)
            let lossRate = Double.random(in: 0...0.6, using: &rng)
            var clock = Int64.random(in: -50_000_000...50_000_000_000, using: &rng)
            var arrivals: [Arrival] = []
            for index in 0..<count {
                let lost = Double.random(in: 0..<1, using: &rng) < lossRate
                if lost {
                    // Sometimes listed as missing, sometimes left out of the list: a gap.
                    if Bool.random(using: &rng) { arrivals.append(Arrival(sequenceNumber: base &+ UInt16(index), time: nil)) }
                    continue
                }
                // Deltas between received packets must fit ±8.19 s.
                let roll = Double.random(in: 0..<1, using: &rng)
                if roll < 0.03 {
                    clock += Int64.random(in: 64_000...8_000_000, using: &rng)  // large positive
                } else if roll < 0.06 {
                    clock -= Int64.random(in: 1...8_000_000, using: &rng)  // reordered: negative
                } else {
                    clock += Int64.random(in: 0...63_000, using: &rng)
                }
                arrivals.append(Arrival(sequenceNumber: base &+ UInt16(index), time: clock))
            }
            guard !arrivals.isEmpty else { continue }
            let feedbackCount = UInt8.random(in: 0...255, using: &rng)
            let bytes = try TransportWideFeedback.build(
                senderSSRC: 0x1234, mediaSSRC: 0x5678, feedbackPacketCount: feedbackCount, arrivals: arrivals)
            #expect(bytes.count % 4 == 0)

            let (summary, reports) = try reports(bytes)
            #expect(summary.feedbackPacketCount == feedbackCount)
            #expect(summary.baseSequenceNumber == arrivals[0].sequenceNumber)
            let decoded = Self.arrivals(from: reports, reference: summary.referenceTimeMicroseconds)
            let byNumber = Dictionary(uniqueKeysWithValues: arrivals.map { ($0.sequenceNumber, $0.time) })
            for arrival in decoded {
                let original = byNumber[arrival.sequenceNumber] ?? nil
                #expect(arrival.time == original.map { floorDivide($0, 250) * 250 })
            }
            #expect(decoded.count == Int(arrivals.last!.sequenceNumber &- arrivals[0].sequenceNumber) + 1)

            let rebuilt = try TransportWideFeedback.build(
                senderSSRC: summary.senderSSRC, mediaSSRC: summary.mediaSSRC, feedbackPacketCount: feedbackCount,
                arrivals: decoded, referenceTime: summary.referenceTime)
            #expect(rebuilt == bytes)
        }
    }

    /// Absolute arrival times from the reference time plus running deltas (draft §3.1.5).
    static func arrivals(from reports: [Report], reference: Int64) -> [Arrival] {
        var time = reference
        return reports.map { report in
            guard let delta = report.receiveDelta else { return Arrival(sequenceNumber: report.sequenceNumber, time: nil) }
            time += Int64(delta)
            return Arrival(sequenceNumber: report.sequenceNumber, time: time)
        }
    }
}

/// The scalar fields of a feedback packet, copied out of the borrowed view.
struct TransportWideFeedbackSummary {
    var senderSSRC: UInt32
    var mediaSSRC: UInt32
    var baseSequenceNumber: UInt16
    var packetStatusCount: UInt16
    var referenceTime: Int32
    var referenceTimeMicroseconds: Int64
    var feedbackPacketCount: UInt8

    init(_ feedback: TransportWideFeedback) {
        senderSSRC = feedback.senderSSRC
        mediaSSRC = feedback.mediaSSRC
        baseSequenceNumber = feedback.baseSequenceNumber
        packetStatusCount = feedback.packetStatusCount
        referenceTime = feedback.referenceTime
        referenceTimeMicroseconds = feedback.referenceTimeMicroseconds
        feedbackPacketCount = feedback.feedbackPacketCount
    }
}
