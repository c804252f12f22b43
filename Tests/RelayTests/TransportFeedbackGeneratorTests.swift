import RTCP
import Testing

#if canImport(RelayFeedback)
@testable import RelayFeedback
#else
@testable import Relay
#endif

/// The transport-wide CC feedback generator, driven like the engine drives it (packets in, polls at its
/// deadlines), its output read back with the RTCP module's `TransportWideFeedback` parser.
@Suite struct TransportFeedbackGeneratorTests {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000

    /// One feedback packet as the parser reads it, arrival times rebuilt from the reference time and deltas.
    struct Decoded {
        var bytes: [UInt8]
        var senderSSRC: UInt32
        var mediaSSRC: UInt32
        var base: UInt16
        var statusCount: Int
        var referenceTime: Int32
        var feedbackPacketCount: UInt8
        /// Every covered sequence number with its arrival in µs, nil when reported not received.
        var reports: [Report]
        var statuses: [TransportWideFeedback.Status]

        struct Report: Equatable, CustomStringConvertible {
            var sequenceNumber: UInt16
            var time: Int64?
            var description: String { "\(sequenceNumber)@\(time.map(String.init) ?? "-")" }
        }

        init(_ bytes: [UInt8]) throws {
            self.bytes = bytes
            let parsed = try bytes.withUnsafeBytes { buffer in
                let feedback = try TransportWideFeedback(parsing: buffer)
                return (feedback.senderSSRC, feedback.mediaSSRC, feedback.baseSequenceNumber,
                        Int(feedback.packetStatusCount), feedback.referenceTime, feedback.feedbackPacketCount,
                        Array(feedback.packets))
            }
            (senderSSRC, mediaSSRC, base, statusCount, referenceTime, feedbackPacketCount) =
                (parsed.0, parsed.1, parsed.2, parsed.3, parsed.4, parsed.5)
            var time = Int64(referenceTime) * TransportWideFeedback.referenceTimeTick
            reports = []
            statuses = []
            for report in parsed.6 {
                statuses.append(report.status)
                if let delta = report.receiveDelta {
                    time += Int64(delta)
                    reports.append(Report(sequenceNumber: report.sequenceNumber, time: time))
                } else {
                    reports.append(Report(sequenceNumber: report.sequenceNumber, time: nil))
                }
            }
        }

        var received: [Report] { reports.filter { $0.time != nil } }
    }

    /// A generator plus the caller's reused datagram buffer.
    struct Driver {
        var generator: TransportFeedbackGenerator
        var buffer: [UInt8]
        /// What was sent, for expectations: sequence number → first arrival (ns).
        var sent: [(UInt16, Int64)] = []

        init(bufferSize: Int = 1_500, _ configure: (inout TransportFeedbackGenerator.Configuration) -> Void = { _ in }) {
            var configuration = TransportFeedbackGenerator.Configuration()
            configure(&configuration)
            generator = TransportFeedbackGenerator(configuration: configuration)
            buffer = [UInt8](repeating: 0, count: bufferSize)
        }

        mutating func receive(_ sequenceNumber: UInt16, at arrival: Int64) {
            sent.append((sequenceNumber, arrival))
            generator.received(transportSequenceNumber: sequenceNumber, arrival: arrival)
        }

        mutating func poll(at now: Int64) throws -> Decoded? {
            let written = buffer.withUnsafeMutableBytes { buffer in
                generator.poll(now: now, senderSSRC: 0x1111_1111, mediaSSRC: 0x2222_2222, into: buffer)
            }
            guard let written else { return nil }
            #expect(written <= buffer.count && written <= generator.configuration.maxPacketSize)
            #expect(written % 4 == 0)
            return try Decoded(Array(buffer[0..<written]))
        }

        /// Polls at `now` until nothing more is due then.
        mutating func drain(at now: Int64) throws -> [Decoded] {
            var out: [Decoded] = []
            while let due = generator.pollTimeout(), due <= now {
                guard let feedback = try poll(at: now) else { break }
                out.append(feedback)
                if out.count > 100_000 { Issue.record("poll does not converge"); break }
            }
            return out
        }
    }

    /// What a feedback covering `range` must say: arrivals rounded down to the 250 µs grid, the first
    /// arrival of each sequence number kept.
    static func expected(_ range: ClosedRange<Int>, sent: [(UInt16, Int64)]) -> [Decoded.Report] {
        var first: [UInt16: Int64] = [:]
        for (sequence, arrival) in sent where first[sequence] == nil { first[sequence] = arrival }
        return range.map { index in
            let sequence = UInt16(truncatingIfNeeded: index)
            return .init(sequenceNumber: sequence, time: first[sequence].map { floorDiv($0, 250_000) * 250 })
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    // MARK: - Wire format

    /// Bytes computed by hand from draft §3.1: a two-bit status vector (a large delta is among the five
    /// statuses, so one-bit symbols cannot carry them), small and large (including negative) deltas.
    @Test func handComputedPacket() throws {
        var driver = Driver()
        let t0 = 10 * 64 * Self.ms + 500_000  // reference time 10, first delta 2 ticks
        driver.receive(7, at: t0)
        driver.receive(8, at: t0 + 1 * Self.ms)  // +4 ticks
        driver.receive(11, at: t0 + 99 * Self.ms)  // 9 lost; 11 overtakes 10
        driver.receive(10, at: t0 + 100 * Self.ms)  // 8→10: +396 ticks (0x018c); 10→11: -4 (0xfffc)
        let feedback = try #require(try driver.poll(at: t0 + 100 * Self.ms))
        #expect(feedback.bytes == [
            0x8F, 0xCD, 0x00, 0x06,  // V=2, FMT=15, PT=205 (RTPFB), length 6 words + 1
            0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,  // sender SSRC, media SSRC
            0x00, 0x07, 0x00, 0x05,  // base 7, 5 statuses
            0x00, 0x00, 0x0A, 0x00,  // reference time 10 (× 64 ms), feedback packet count 0
            0xD4, 0xA0,  // 1|1|01 01 00 10 10 00 00: small small lost large large (+ 2 unused)
            0x02, 0x04, 0x01, 0x8C, 0xFF, 0xFC,  // deltas: 2, 4, 396, -4 (× 250 µs)
        ])
        #expect(feedback.statuses == [.receivedSmallDelta, .receivedSmallDelta, .notReceived,
                                      .receivedLargeDelta, .receivedLargeDelta])
    }

    /// A run with losses, a 70 ms pause (a large delta) and a reordered pair (a negative delta) decodes to
    /// exactly the sequence numbers received and lost, and the arrivals to 250 µs.
    @Test func runDecodesToArrivals() throws {
        var driver = Driver()
        let t0 = 5 * Self.second + 123_456
        var time = t0
        let lost: Set<Int> = [1010, 1030, 1031, 1032, 1059]
        for sequence in 1000..<1060 where !lost.contains(sequence) {
            time += sequence == 1040 ? 70 * Self.ms : 1_300_000
            if sequence == 1019 { continue }
            driver.receive(UInt16(sequence), at: time)
            if sequence == 1020 { driver.receive(1019, at: time + 400_000) }
        }
        driver.receive(1060, at: time + 1_000_000)
        #expect(driver.generator.pollTimeout() == t0 + 1_300_000)  // the stream's first packet: at once
        let feedbacks = try driver.drain(at: time + 1_000_000)
        try #require(feedbacks.count == 1)
        let feedback = feedbacks[0]
        #expect(feedback.senderSSRC == 0x1111_1111 && feedback.mediaSSRC == 0x2222_2222)
        #expect(feedback.base == 1000 && feedback.statusCount == 61)
        #expect(feedback.feedbackPacketCount == 0)
        #expect(Int64(feedback.referenceTime) == (t0 + 1_300_000) / (64 * Self.ms))
        #expect(feedback.reports == Self.expected(1000...1060, sent: driver.sent))
        #expect(feedback.statuses[20] == .receivedLargeDelta)  // 1020 arrived before 1019: negative
        #expect(feedback.statuses[40] == .receivedLargeDelta)  // after the 70 ms pause
        #expect(feedback.statuses.filter { $0 == .notReceived }.count == lost.count)
        #expect(driver.generator.pollTimeout() == nil)
    }

    @Test func lostPacketInTheMiddle() throws {
        var driver = Driver()
        for sequence in 20...30 where sequence != 25 {
            driver.receive(UInt16(sequence), at: Int64(sequence) * Self.ms)
        }
        let feedback = try #require(try driver.drain(at: 30 * Self.ms).first)
        #expect(feedback.base == 20 && feedback.statusCount == 11)
        #expect(feedback.reports == Self.expected(20...30, sent: driver.sent))
        #expect(feedback.reports[5] == .init(sequenceNumber: 25, time: nil))
        #expect(feedback.statuses[5] == .notReceived)
    }

    @Test func wrapsAround() throws {
        var driver = Driver()
        var time = Self.second
        driver.receive(65530, at: time)
        // The stream's first packet is reported at once, the rest after the interval.
        let first = try driver.drain(at: time)
        for sequence in 65531...65541 where sequence != 65533 && sequence != 65538 {
            time += 2 * Self.ms
            driver.receive(UInt16(truncatingIfNeeded: sequence), at: time)
        }
        let rest = try driver.drain(at: time + 100 * Self.ms)
        try #require(first.count == 1 && rest.count == 1)
        #expect(first[0].reports == Self.expected(65530...65530, sent: driver.sent))
        #expect(rest[0].base == 65531 && rest[0].statusCount == 11)
        #expect(rest[0].reports == Self.expected(65531...65541, sent: driver.sent))
        #expect(rest[0].reports.map(\.sequenceNumber) == [65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5])
        #expect(rest[0].feedbackPacketCount == 1)

        time += 100 * Self.ms
        for sequence: UInt16 in 6...9 { driver.receive(sequence, at: time + Int64(sequence) * Self.ms) }
        let next = try driver.drain(at: time + 200 * Self.ms)
        #expect(next.map(\.base) == [6])
        #expect(next.first?.reports == Self.expected(6...9, sent: driver.sent))
    }

    // MARK: - Reordering

    @Test func reorderedPacketFillsItsSlotAndLatePacketIsDropped() throws {
        var driver = Driver()
        driver.receive(100, at: 0)
        _ = try driver.drain(at: 0)
        for (sequence, time) in [(101, 1), (103, 2), (102, 3), (104, 4), (104, 5)] {
            driver.receive(UInt16(sequence), at: Int64(time) * Self.ms)
        }
        #expect(driver.generator.statistics.duplicates == 1)
        let feedback = try #require(try driver.drain(at: 100 * Self.ms).first)
        #expect(feedback.base == 101 && feedback.statusCount == 4)
        #expect(feedback.reports == Self.expected(101...104, sent: driver.sent))
        #expect(feedback.reports.allSatisfy { $0.time != nil })

        // 99 is older than the stream's start, 102 already reported: both dropped, nothing due.
        driver.receive(102, at: 101 * Self.ms)
        driver.receive(99, at: 102 * Self.ms)
        #expect(driver.generator.statistics.late == 2)
        #expect(driver.generator.pollTimeout() == nil)
        #expect(try driver.poll(at: Self.second) == nil)

        driver.receive(105, at: Self.second)
        let next = try #require(try driver.drain(at: Self.second).first)
        #expect(next.base == 105 && next.statusCount == 1)
    }

    // MARK: - Splitting

    /// A gap longer than one packet may cover: the received packets before it go out alone, the run of
    /// losses in front of the next received packet is cut to half the status limit.
    @Test func gapBeyondStatusLimitSplitsAndIsCut() throws {
        var driver = Driver()
        driver.receive(0, at: 0)
        _ = try driver.drain(at: 0)  // the first packet, at once
        for sequence: UInt16 in 1...9 { driver.receive(sequence, at: Int64(sequence) * Self.ms) }
        for sequence: UInt16 in 5000...5009 { driver.receive(sequence, at: 20 * Self.ms + Int64(sequence) * 1000) }
        let now = 200 * Self.ms
        let first = try #require(try driver.poll(at: now))
        #expect(first.base == 1 && first.statusCount == 9)
        #expect(driver.generator.pollTimeout() == now)  // the rest is due at once
        let second = try #require(try driver.poll(at: now))
        let limit = driver.generator.configuration.maxStatusCount
        #expect(second.base == UInt16(5000 - limit / 2) && second.statusCount == limit / 2 + 10)
        #expect(second.reports == Self.expected((5000 - limit / 2)...5009, sent: driver.sent))
        #expect(driver.generator.statistics.unreportedLosses == 5000 - limit / 2 - 10)
        #expect(driver.generator.pollTimeout() == nil)
    }

    /// More packets than one buffer holds: several packets, each within the buffer, covering the range
    /// exactly once in order, feedback packet counts consecutive.
    @Test func fullBufferSplitsIntoSeveralPolls() throws {
        var driver = Driver(bufferSize: 256)
        var time = Self.second
        for sequence in 0..<400 {
            // 70 ms apart: every delta is a large one.
            time += sequence % 3 == 0 ? 70 * Self.ms : 300_000
            if sequence % 17 == 5 { continue }
            driver.receive(UInt16(sequence), at: time)
        }
        let feedbacks = try driver.drain(at: time)
        #expect(feedbacks.count >= 3)
        #expect(feedbacks.allSatisfy { $0.bytes.count <= 256 })
        // The size bound the generator plans with is not much above the real size: packets are nearly full.
        #expect(feedbacks.dropLast().allSatisfy { $0.bytes.count > 200 })
        #expect(feedbacks.map(\.feedbackPacketCount) == (0..<feedbacks.count).map { UInt8($0) })
        var next = 0
        for feedback in feedbacks {
            #expect(Int(feedback.base) == next)
            next = Int(feedback.base) + feedback.statusCount
        }
        #expect(next == 400)
        let all = feedbacks.flatMap(\.reports)
        #expect(all == Self.expected(0...399, sent: driver.sent))
        #expect(driver.generator.pollTimeout() == nil)
    }

    /// Splitting is bounded: `maxBurst` packets back to back, the rest an interval later.
    @Test func burstIsBounded() throws {
        var driver = Driver()
        driver.receive(0, at: 0)
        _ = try driver.drain(at: 0)
        // Twenty received packets each 3000 after the last: each needs a feedback packet of its own.
        for index in 1...20 { driver.receive(UInt16(index * 3_000), at: Int64(index) * Self.ms) }
        let burst = driver.generator.configuration.maxBurst
        let first = try driver.drain(at: 100 * Self.ms)
        #expect(first.count == burst)
        let next = try #require(driver.generator.pollTimeout())
        #expect(next >= 150 * Self.ms)  // an interval (here 50 ms: 200 packets a second) after the burst
        let second = try driver.drain(at: next)
        #expect(second.count == burst)
        let third = try driver.drain(at: next + 100 * Self.ms)
        #expect(third.count == 20 - 2 * burst)
        #expect((first + second + third).flatMap(\.received).map(\.sequenceNumber)
                == (1...20).map { UInt16($0 * 3_000) })
        #expect(driver.generator.pollTimeout() == nil)
    }

    /// Receive deltas beyond ±8.19 s do not fit 16 bits: each starts a new feedback packet.
    @Test func deltaBeyondSixteenBitsStartsNewPacket() throws {
        var driver = Driver()
        driver.receive(5, at: 0)
        driver.receive(7, at: Self.ms)
        driver.receive(6, at: 9 * Self.second)  // +9 s after 5, and 7 comes -9 s after it
        let feedbacks = try driver.drain(at: 9 * Self.second)
        #expect(feedbacks.map(\.base) == [5, 6, 7])
        #expect(feedbacks.flatMap(\.reports) == Self.expected(5...7, sent: driver.sent))
    }

    // MARK: - Timing

    @Test func pollTimeoutFollowsTheInterval() throws {
        var driver = Driver()
        #expect(driver.generator.pollTimeout() == nil)
        #expect(try driver.poll(at: 0) == nil)

        let t0 = Self.second
        driver.receive(1, at: t0)
        #expect(driver.generator.pollTimeout() == t0)  // first feedback at once
        #expect(try driver.poll(at: t0) != nil)
        #expect(driver.generator.pollTimeout() == nil)  // idle

        driver.receive(2, at: t0 + 10 * Self.ms)
        #expect(driver.generator.pollTimeout() == t0 + 100 * Self.ms)
        #expect(try driver.poll(at: t0 + 50 * Self.ms) == nil)  // not due yet
        #expect(try driver.poll(at: t0 + 100 * Self.ms)?.base == 2)
        #expect(driver.generator.pollTimeout() == nil)

        // After a quiet spell a packet is reported at once.
        driver.receive(3, at: t0 + 5 * Self.second)
        #expect(driver.generator.pollTimeout() == t0 + 5 * Self.second)
    }

    /// Video rates (over 100 packets a second) get feedback every 50 ms, audio rates every 100 ms.
    @Test func intervalFollowsPacketRate() throws {
        for (spacing, interval) in [(2 * Self.ms, 50 * Self.ms), (20 * Self.ms, 100 * Self.ms)] {
            var driver = Driver()
            var sequence: UInt16 = 0
            var feedbackTimes: [Int64] = []
            var time: Int64 = 0
            while time < 2 * Self.second {
                driver.receive(sequence, at: time)
                sequence &+= 1
                let next = time + spacing
                while let due = driver.generator.pollTimeout(), due < next {
                    _ = try #require(try driver.poll(at: due))
                    feedbackTimes.append(due)
                }
                time = next
            }
            let gaps = zip(feedbackTimes.dropFirst(), feedbackTimes).map { $0 - $1 }
            #expect(Set(gaps.suffix(10)) == [interval], "spacing \(spacing)")
        }
    }

    @Test func feedbackPacketCountWraps() throws {
        var driver = Driver()
        var counts: [UInt8] = []
        for index in 0..<300 {
            let time = Int64(index) * Self.second
            driver.receive(UInt16(index), at: time)
            counts += try driver.drain(at: time).map(\.feedbackPacketCount)
        }
        #expect(counts == (0..<300).map { UInt8(truncatingIfNeeded: $0) })
    }

    /// The 24-bit reference time wraps after 2^24 × 64 ms (12.4 days of a monotonic clock); negative clocks
    /// work too. Deltas stay exact, absolute times agree modulo the wrap period.
    @Test func referenceTimeWraps() throws {
        let period = Int64(1 << 24) * TransportWideFeedback.referenceTimeTick  // µs
        for start in [10 * 86_400 * Self.second, 400 * 86_400 * Self.second, -3 * Self.second - 7] {
            var driver = Driver()
            for index in 0..<20 {
                driver.receive(UInt16(index), at: start + Int64(index) * 3_100_000)
            }
            let feedbacks = try driver.drain(at: start + Self.second)
            let reports = feedbacks.flatMap(\.reports)
            let expected = Self.expected(0...19, sent: driver.sent)
            try #require(reports.count == expected.count)
            for (got, want) in zip(reports, expected) {
                let difference = try #require(got.time) - (try #require(want.time))
                #expect(difference % period == 0, "start \(start)")
            }
            #expect(feedbacks.allSatisfy { TransportWideFeedback.referenceTimeRange.contains($0.referenceTime) })
        }
    }

    // MARK: - Discontinuities and hostile input

    /// A jump beyond 2^15 looks like a packet far in the past: one is ignored, two in a row restart.
    @Test func jumpBeyondHalfTheSpaceRestarts() throws {
        var driver = Driver()
        for sequence: UInt16 in 100...109 { driver.receive(sequence, at: Int64(sequence) * Self.ms) }
        _ = try driver.drain(at: Self.second)
        driver.receive(40_000, at: 2 * Self.second)
        #expect(driver.generator.pendingCount == 0)
        driver.receive(40_001, at: 2 * Self.second + Self.ms)
        driver.receive(40_002, at: 2 * Self.second + 2 * Self.ms)
        #expect(driver.generator.statistics.restarts == 1)
        let feedback = try #require(try driver.drain(at: 3 * Self.second).first)
        #expect(feedback.base == 40_001 && feedback.statusCount == 2)
        #expect(feedback.reports == Self.expected(40_001...40_002, sent: driver.sent))
    }

    /// Random sequence numbers and duplicates: pending state stays within its bound, every packet fits its
    /// limits and parses, every "received" report names a packet that was sent, and the engine's loop ends.
    @Test func hostileRandomInputStaysBounded() throws {
        var rng = FeedbackTestRandom(seed: 0x7CC)
        // Debug builds decode slowly: the default limits on a short run, small ones on a longer run.
        for (bufferSize, statusLimit, packets) in [(1_500, 2_048, 4_000), (64, 256, 8_000)] {
            var driver = Driver(bufferSize: bufferSize) { $0.maxStatusCount = statusLimit }
            var time: Int64 = 0
            var sentSet = Set<UInt16>()
            var reportedReceived = 0
            var reportedStatuses = 0
            var polls = 0
            var lastCount: UInt8?
            for index in 0..<packets {
                let sequence: UInt16
                switch index % 4 {
                case 0: sequence = UInt16(truncatingIfNeeded: rng.next())
                case 1: sequence = driver.sent[Int(rng.next() % UInt64(driver.sent.count))].0  // replays
                default: sequence = UInt16(truncatingIfNeeded: rng.next() % 64) &+ UInt16(index & 0xFFC0)
                }
                time += Int64(rng.next() % 3_000_000)
                driver.receive(sequence, at: time)
                sentSet.insert(sequence)
                #expect(driver.generator.pendingCount <= driver.generator.configuration.maxPendingPackets)
                if index % 7 == 0 {
                    for feedback in try driver.drain(at: time) {
                        polls += 1
                        #expect(feedback.statusCount <= driver.generator.configuration.maxStatusCount)
                        #expect(feedback.received.allSatisfy { sentSet.contains($0.sequenceNumber) })
                        if let lastCount { #expect(feedback.feedbackPacketCount == lastCount &+ 1) }
                        lastCount = feedback.feedbackPacketCount
                        reportedReceived += feedback.received.count
                        reportedStatuses += feedback.statusCount
                    }
                }
            }
            #expect(reportedReceived <= packets)
            #expect(polls > packets / 100)
            #expect(driver.generator.statistics.encodingFailures == 0)
            // Then a well-behaved stream is reported again: at once if it restarts, or once it passes
            // what the hostile packets claimed (up to `maxReorder` ahead).
            var tail: [UInt16] = []
            for offset in 0..<1_100 {
                time += Self.ms
                driver.receive(UInt16(offset) &+ 30_000, at: time)
                tail += try driver.drain(at: time).flatMap(\.received).map(\.sequenceNumber)
            }
            tail += try driver.drain(at: time + Self.second).flatMap(\.received).map(\.sequenceNumber)
            #expect(Array(tail.suffix(50)) == (31_050..<31_100).map { UInt16($0) }, "buffer \(bufferSize)")
        }
    }
}

/// A seeded generator, so failures reproduce.
private struct FeedbackTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
