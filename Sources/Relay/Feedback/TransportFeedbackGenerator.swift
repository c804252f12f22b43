import RTCP

/// The receiving end of transport-wide congestion control for one transport (a publisher's uplink): when each
/// packet carrying a transport-wide sequence number arrived, reported back as RTPFB FMT 15 feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) for the sender's bandwidth estimator, as
/// libwebrtc's TransportSequenceNumberFeedbackGenerator (formerly RemoteEstimatorProxy), Pion's twcc recorder
/// and str0m's TwccRecvRegister do.
///
/// Sans-IO: fed sequence numbers and arrival times (nanoseconds on the caller's clock); `poll` writes one
/// feedback packet into the caller's buffer when `pollTimeout()` has come. Each packet covers the sequence
/// numbers after the previous one's last, up to the newest received, gaps reported "not received"; it ends
/// on a received packet, as libwebrtc's do. A packet that arrives after its number was reported is dropped
/// (the sender has already counted it lost); one inside the pending range fills its slot.
///
/// Hostile input stays cheap: only received packets are stored, sorted by sequence in an array made once
/// (`maxPendingPackets`), so a gap costs nothing until it is reported. A packet covers at most
/// `maxStatusCount` sequence numbers (a longer run of losses in front of the first received one is cut to
/// half of that), which bounds the encoder's walk, and at most `maxBurst` packets go out per interval, which
/// bounds the walks. Sequence numbers unwrap against the newest (a step forward of up to 2^15 is loss); far
/// behind it, a packet is a discontinuity, and two in a row (RFC 3550 A.1's probation) restart the sequence,
/// so a forward jump of more than 2^15 is a reset. No call allocates.
struct TransportFeedbackGenerator {
    struct Configuration: Sendable, Equatable {
        /// Between feedback packets while packets arrive (libwebrtc's default).
        var interval: Int64 = 100_000_000
        /// Used instead while the transport carries more than `fastPacketRate` packets a second (video):
        /// feedback then costs little of the uplink and the sender's estimator reacts sooner. libwebrtc
        /// goes down to 50 ms once 5% of the bitrate pays for it, about 220 kbit/s.
        var fastInterval: Int64 = 50_000_000
        var fastPacketRate: Int = 100
        /// Bytes of one feedback packet at most (the buffer permitting): with SRTCP's trailer and UDP/IP
        /// headers it stays under any path MTU.
        var maxPacketSize: Int = 1_200
        /// Sequence numbers one feedback packet covers at most, which bounds a poll's work.
        var maxStatusCount: Int = 2_048
        /// Received packets waiting for feedback (16 bytes each, allocated once); when full, the oldest quarter
        /// is forgotten. From half full on, feedback is due at once.
        var maxPendingPackets: Int = 1_024
        /// Feedback packets written back to back when one does not hold everything (a full buffer, a gap
        /// beyond `maxStatusCount`); the rest waits for the next interval. With `maxStatusCount` this bounds
        /// the work a hostile stream can cause per interval.
        var maxBurst: Int = 8
        /// How far behind the newest sequence number a packet is believed late (and dropped, if already
        /// reported); further back it is a discontinuity.
        var maxReorder: Int = 1_000

        init() {}
    }

    /// Counters for metrics and tests.
    struct Statistics: Equatable {
        /// Feedback packets written.
        var feedbackPackets = 0
        /// Packets that arrived after their sequence number was reported (or before the first one).
        var late = 0
        var duplicates = 0
        /// Packets forgotten unreported because `maxPendingPackets` were waiting.
        var evicted = 0
        /// Lost sequence numbers never reported, cut from runs longer than `maxStatusCount / 2`.
        var unreportedLosses = 0
        /// Sequence restarts after a discontinuity.
        var restarts = 0
        /// Polls whose encoding failed (a bug: the range is dropped rather than retried forever).
        var encodingFailures = 0
    }

    /// A received packet: unwrapped sequence number and arrival time.
    private struct Pending {
        var sequence: Int64
        var arrival: Int64
    }

    let configuration: Configuration
    private(set) var statistics = Statistics()
    /// Received, not yet reported; sorted by sequence, never beyond its initial capacity.
    private var pending: [Pending]
    /// The arrivals handed to the encoder, reused by every poll.
    private var arrivals: [TransportWideFeedback.Arrival]
    /// The newest sequence number received, unwrapped; nil before the first packet.
    private var highest: Int64?
    /// The first sequence number the next feedback covers.
    private var windowStart: Int64 = 0
    /// RFC 3550 A.1's `bad_seq`: a discontinuous packet followed by this one is a restart.
    private var probation: UInt16?
    /// The next packet's feedback packet count (mod 256, §3.1).
    private(set) var feedbackPacketCount: UInt8 = 0
    /// When the current burst of feedback packets began (the last regular one), and its size so far.
    private var burstStart: Int64?
    private var burstCount = 0
    /// Arrival of the oldest packet waiting, by arrival order.
    private var pendingSince: Int64 = 0
    private var latestArrival: Int64 = 0
    /// Set when a poll left packets behind: the next is due at once, unless the burst is spent.
    private var flushDue: Int64?
    private var currentInterval: Int64
    /// Packets received since `burstStart`, for the packet rate.
    private var burstPackets = 0

    init(configuration: Configuration = Configuration()) {
        var sane = configuration
        sane.interval = max(1_000_000, sane.interval)
        sane.fastInterval = min(max(1_000_000, sane.fastInterval), sane.interval)
        sane.fastPacketRate = max(0, sane.fastPacketRate)
        sane.maxPacketSize = max(Self.minimumPacketSize, sane.maxPacketSize)
        sane.maxStatusCount = min(max(16, sane.maxStatusCount), 0x7FFF)
        sane.maxPendingPackets = min(max(2, sane.maxPendingPackets), 16_384)
        sane.maxReorder = min(max(0, sane.maxReorder), 0x7FFF)
        sane.maxBurst = max(1, sane.maxBurst)
        self.configuration = sane
        currentInterval = sane.interval
        pending = []
        pending.reserveCapacity(sane.maxPendingPackets)
        arrivals = []
        arrivals.reserveCapacity(sane.maxPendingPackets + 1)
    }

    /// Received packets waiting for feedback.
    var pendingCount: Int { pending.count }

    /// Records one packet that carried the transport-wide sequence number extension.
    mutating func received(transportSequenceNumber: UInt16, arrival: Int64) {
        latestArrival = arrival
        guard let highest else {
            restart(at: transportSequenceNumber, arrival: arrival)
            return
        }
        let step = Int64(Int16(bitPattern: transportSequenceNumber &- UInt16(truncatingIfNeeded: highest)))
        let sequence = highest + step
        if step > 0 {
            self.highest = sequence
            add(sequence, arrival: arrival)
        } else if sequence >= windowStart {
            add(sequence, arrival: arrival)
        } else if -step <= Int64(configuration.maxReorder) {
            statistics.late += 1
        } else if probation == transportSequenceNumber {
            statistics.restarts += 1
            restart(at: transportSequenceNumber, arrival: arrival)
        } else {
            // One stray packet changes nothing; the next in line confirms a restart.
            probation = transportSequenceNumber &+ 1
        }
    }

    /// Writes one feedback packet into `buffer` if one is due at `now` (see `pollTimeout()`), or `early`
    /// nanoseconds after it: the engine puts its publishers' feedback on a shared grid.
    ///
    /// - Returns: bytes written, or nil when nothing is due. `buffer` must hold `minimumPacketSize` bytes at
    ///   least; a smaller one cannot carry a single report, and what was waiting is dropped.
    mutating func poll(
        now: Int64, senderSSRC: UInt32, mediaSSRC: UInt32, into buffer: UnsafeMutableRawBufferPointer, early: Int64 = 0
    ) -> Int? {
        guard let due = pollTimeout(), now &- due &+ early >= 0 else { return nil }
        let budget = min(buffer.count, configuration.maxPacketSize)
        guard let (base, included) = plan(budget: budget) else {
            statistics.evicted += pending.count
            windowStart = (highest ?? windowStart) + 1
            pending.removeAll(keepingCapacity: true)
            flushDue = nil
            return nil
        }

        // Reference time is a signed 24-bit count of 64 ms (§3.1), which a monotonic clock outgrows after
        // 6.2 days: it wraps, and since the sender only uses its differences, the arrivals are shifted by
        // whole wrap periods so the encoder's default reference (the first arrival, rounded down) fits.
        let first = pending[0]
        let referenceUnits = floorDivide(first.arrival, Self.referenceTick)
        var wrapped = referenceUnits & 0xFF_FFFF
        if wrapped >= 0x80_0000 { wrapped -= 0x100_0000 }
        let shiftMicroseconds = (referenceUnits - wrapped) * (Self.referenceTick / 1_000)

        arrivals.removeAll(keepingCapacity: true)
        if base < first.sequence {
            arrivals.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: base), time: nil))
        }
        for index in 0..<included {
            let entry = pending[index]
            arrivals.append(
                .init(
                    sequenceNumber: UInt16(truncatingIfNeeded: entry.sequence),
                    time: floorDivide(entry.arrival, 1_000) - shiftMicroseconds))
        }
        let count = feedbackPacketCount
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<budget])
        let written = arrivals.withUnsafeBufferPointer { arrivals -> Int? in
            try? TransportWideFeedback.write(
                senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: count, arrivals: arrivals,
                into: target)
        }

        statistics.unreportedLosses += Int(base - windowStart)
        windowStart = pending[included - 1].sequence + 1
        pending.removeFirst(included)
        flushDue = pending.isEmpty ? nil : now
        // A poll let through early is the interval's regular one: it sets the phase the next follows.
        if let burstStart, now &+ early &- burstStart < currentInterval {
            burstCount += 1
        } else {
            if let burstStart { adaptInterval(elapsed: now &- burstStart) }
            burstStart = now
            burstCount = 1
            burstPackets = 0
        }
        guard let written else {
            statistics.encodingFailures += 1
            return nil
        }
        feedbackPacketCount &+= 1
        statistics.feedbackPackets += 1
        return written
    }

    /// When `poll` next has a feedback packet to write; nil while no packet waits.
    ///
    /// Feedback follows the previous one by the interval, but a packet after a quiet spell is reported at
    /// once (the first feedback of a stream too, for a quick start of the sender's estimate), and so is
    /// what one packet could not hold, up to `maxBurst` packets an interval.
    func pollTimeout() -> Int64? {
        guard !pending.isEmpty else { return nil }
        if burstCount < configuration.maxBurst {
            if let flushDue { return flushDue }
            if pending.count >= configuration.maxPendingPackets / 2 { return latestArrival }
        }
        guard let burstStart else { return pendingSince }
        let next = burstStart &+ currentInterval
        return next &- pendingSince >= 0 ? next : pendingSince
    }

    // MARK: - Private

    /// Reference time ticks (64 ms) and receive delta ticks (250 µs), in nanoseconds (§3.1, §3.1.5).
    private static let referenceTick: Int64 = TransportWideFeedback.referenceTimeTick * 1_000
    private static let deltaTick: Int64 = TransportWideFeedback.deltaTick * 1_000
    /// Header, SSRCs and fixed fields (20) plus what `FeedbackChunkBound` and the delta allow one received packet
    /// after a run of up to 16,383 lost ones (6 × 2 + 1), padded.
    static let minimumPacketSize = 36

    private mutating func restart(at sequenceNumber: UInt16, arrival: Int64) {
        pending.removeAll(keepingCapacity: true)
        highest = Int64(sequenceNumber)
        windowStart = Int64(sequenceNumber)
        probation = nil
        flushDue = nil
        add(Int64(sequenceNumber), arrival: arrival)
    }

    /// Inserts a packet in sequence order (an append, unless reordered); a duplicate keeps its first arrival.
    private mutating func add(_ sequence: Int64, arrival: Int64) {
        var index = pending.count
        if let last = pending.last, sequence <= last.sequence {
            index = firstIndex(notBelow: sequence)
            if index < pending.count, pending[index].sequence == sequence {
                statistics.duplicates += 1
                return
            }
        }
        if pending.count >= configuration.maxPendingPackets {
            // Older than everything kept: this one goes.
            guard index > 0 else {
                statistics.evicted += 1
                return
            }
            // A quarter at once keeps eviction's cost per packet constant.
            let dropped = min(index, max(1, pending.count / 4))
            statistics.evicted += dropped
            windowStart = pending[dropped - 1].sequence + 1
            pending.removeFirst(dropped)
            index -= dropped
        }
        if pending.isEmpty { pendingSince = arrival }
        if index == pending.count {
            pending.append(Pending(sequence: sequence, arrival: arrival))
        } else {
            pending.insert(Pending(sequence: sequence, arrival: arrival), at: index)
        }
        burstPackets += 1
    }

    private func firstIndex(notBelow sequence: Int64) -> Int {
        var low = 0
        var high = pending.count
        while low < high {
            let middle = (low + high) / 2
            if pending[middle].sequence < sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The next feedback's base sequence number and how many pending packets it reports: as many as fit
    /// `budget` bytes and `maxStatusCount` statuses, up to the first whose receive delta does not fit
    /// 16 bits (it starts the next packet). Nil when not even the first fits.
    private func plan(budget: Int) -> (base: Int64, included: Int)? {
        guard let first = pending.first else { return nil }
        let maxStatuses = Int64(configuration.maxStatusCount)
        let base = max(windowStart, first.sequence - maxStatuses / 2)
        // The first delta counts from the reference time: the first arrival rounded down to 64 ms.
        var previousTicks = floorDivide(first.arrival, Self.referenceTick) * (Self.referenceTick / Self.deltaTick)
        var next = base
        var chunks = FeedbackChunkBound()
        var deltaBytes = 0
        var included = 0
        for entry in pending {
            let statuses = entry.sequence - base + 1
            guard statuses <= maxStatuses else { break }
            let ticks = floorDivide(entry.arrival, Self.deltaTick)
            guard let delta = Int16(exactly: ticks - previousTicks) else { break }
            // A status symbol's value is also its delta's size (§3.1.5).
            let size = (0...255).contains(delta) ? 1 : 2
            var candidate = chunks
            candidate.add(lost: Int(entry.sequence - next), received: UInt8(size))
            let length = (20 + 2 * candidate.bound + deltaBytes + size + 3) & ~3
            guard length <= budget else { break }
            chunks = candidate
            deltaBytes += size
            previousTicks = ticks
            next = entry.sequence + 1
            included += 1
        }
        return included > 0 ? (base, included) : nil
    }

    /// Chooses the next interval from the packet rate since the previous regular feedback.
    private mutating func adaptInterval(elapsed: Int64) {
        guard elapsed > 0 else { return }
        let rate = Double(burstPackets) * 1e9 / Double(elapsed)
        currentInterval = rate > Double(configuration.fastPacketRate) ? configuration.fastInterval : configuration.interval
    }
}

/// An upper bound on the packet chunks the RTCP encoder needs for a status sequence, kept as statuses are
/// appended.
///
/// The encoder starts each chunk where the last ended and covers at least 7 symbols unless it is the last,
/// so N statuses need at most ⌈N/7⌉ chunks. And within one maximal run of equal symbols of length L, a
/// chunk starting 14 or more before the run's end is a run-length chunk taking the rest (up to 8191), and at
/// most two start in its last 13: at most ⌈L/8191⌉ + 2 chunks start there.
private struct FeedbackChunkBound {
    private var statuses = 0
    private var closedRuns = 0
    private var runSymbol: UInt8 = 0
    private var runLength = 0

    var bound: Int { min((statuses + 6) / 7, closedRuns + Self.runBound(runLength)) }

    /// Appends `lost` not-received statuses, then one received with `symbol` (1 small, 2 large delta).
    mutating func add(lost: Int, received symbol: UInt8) {
        if lost > 0 {
            closedRuns += Self.runBound(runLength) + Self.runBound(lost)
            runLength = 0
        }
        if runLength > 0, symbol == runSymbol {
            runLength += 1
        } else {
            closedRuns += Self.runBound(runLength)
            runSymbol = symbol
            runLength = 1
        }
        statuses += lost + 1
    }

    private static func runBound(_ length: Int) -> Int {
        guard length > 0 else { return 0 }
        return min((length + 6) / 7, (length + 8190) / 8191 + 2)
    }
}

/// Division rounding towards negative infinity, so times before the clock's epoch stay on the grid.
private func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
}
