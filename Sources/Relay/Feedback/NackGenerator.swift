import RTCP

/// Decides which of a publisher's RTP packets the relay asks for again, and when: generic NACKs
/// (RFC 4585 §6.2.1) toward the publisher, as libwebrtc's NackRequester, mediasoup's NackGenerator and
/// Pion's nack generator do.
///
/// Sans-IO: fed sequence numbers and times (nanoseconds on the caller's clock), it returns NACK entries
/// and its next deadline. A gap waits `reorderDelay` before its first NACK (reordering heals most gaps
/// in milliseconds), then is asked for again every round trip, at most `maxRetries` times. A late or
/// retransmitted packet clears its entry.
///
/// Hostile input stays cheap: the missing list is a fixed ring made once (`maxMissing` entries), kept in
/// sequence order so a late packet is found by binary search; one packet adds at most `maxJump` entries,
/// and a jump beyond that (or far backwards) is a discontinuity: a single stray packet is ignored, two in
/// a row are a stream restart (RFC 3550 A.1's probation). When the list overflows, entries older than
/// the latest keyframe go first; if that is not enough, NACKing is hopeless: the list is cleared and the
/// next poll asks for a keyframe, as libwebrtc does. No call allocates once the caller's pair buffer has
/// grown to `maxPairsPerPoll`.
struct NackGenerator {
    struct Configuration: Sendable, Equatable {
        /// How long a gap may stay open before its first NACK, for reordering to heal it.
        var reorderDelay: Int64 = 10_000_000
        /// Between NACKs of the same packet when no round-trip time is known (libwebrtc and mediasoup: 100 ms).
        var defaultRetryInterval: Int64 = 100_000_000
        /// The measured round-trip time is clamped to this before it paces retries: a LAN's 1 ms RTT must not
        /// turn into a NACK storm, nor a bogus 10 s estimate into no retries at all.
        var retryIntervalRange: ClosedRange<Int64> = 20_000_000...500_000_000
        /// NACKs per lost packet before giving up on it.
        var maxRetries: Int = 10
        /// Entries in the missing list (capacity of the ring).
        var maxMissing: Int = 1_000
        /// The largest forward step of the sequence taken as loss; beyond it, a discontinuity.
        var maxJump: Int = 1_000
        /// How far behind the newest packet a missing packet is still worth asking for, and how far back a
        /// late packet is still believed. Under 32,768, so 16-bit NACK entries stay unambiguous.
        var maxPacketAge: Int = 10_000
        /// NACK entries per poll: a generic NACK must fit a datagram. More due entries wait for the next poll,
        /// whose deadline is then immediate.
        var maxPairsPerPoll: Int = 64
        /// Deadlines are at least this far apart, so a steady trickle of gaps is asked for in batches
        /// (libwebrtc processes NACKs every 20 ms, mediasoup every 40 ms) rather than one RTCP packet per
        /// lost packet, and a poll's walk over the list runs at most 200 times a second.
        var minimumPollInterval: Int64 = 5_000_000

        init() {}
    }

    /// What a poll decided besides the NACK entries it wrote.
    struct Decision: Equatable {
        /// Sequence numbers named by the entries written.
        var sequenceNumberCount = 0
        /// The stream restarted or the loss outgrew the list: recovery by NACK is hopeless, ask for a
        /// keyframe (PLI/FIR) instead.
        var requestKeyframe = false
    }

    /// 24 bytes: a full list is 24 KB per stream.
    private struct Entry {
        var sequence: Int64 = 0
        /// When the gap was seen while `retries` is 0, then when the last NACK named it.
        var time: Int64 = 0
        var retries: UInt8 = 0
        /// False once received or given up; kept until it reaches the front so the ring stays sorted.
        var live = false
    }

    let configuration: Configuration
    private var ring: [Entry]
    private let ringMask: Int
    /// Storage index of the oldest entry; entries `head..<head+count` (masked) are sorted by sequence.
    private var head = 0
    private var count = 0
    /// Entries still missing (live).
    private(set) var missingCount = 0
    /// The newest sequence number received, extended to 64 bits; nil before the first packet.
    private var highest: Int64?
    private var lastKeyframe: Int64?
    /// RFC 3550 A.1's `bad_seq`: a discontinuous packet followed by this one is a restart.
    private var probation: UInt16?
    private var keyframeWanted = false
    private var deadline: Int64?
    private var lastPoll: Int64?
    private var latestNow: Int64 = 0

    init(configuration: Configuration = Configuration()) {
        var sane = configuration
        sane.reorderDelay = max(0, sane.reorderDelay)
        sane.defaultRetryInterval = max(1, sane.defaultRetryInterval)
        let lower = max(1, sane.retryIntervalRange.lowerBound)
        sane.retryIntervalRange = lower...max(lower, sane.retryIntervalRange.upperBound)
        sane.maxRetries = min(max(1, sane.maxRetries), 255)
        sane.maxMissing = min(max(1, sane.maxMissing), 16_384)
        sane.maxPacketAge = min(max(1, sane.maxPacketAge), 30_000)
        sane.maxJump = min(max(1, sane.maxJump), sane.maxPacketAge)
        sane.maxPairsPerPoll = max(1, sane.maxPairsPerPoll)
        sane.minimumPollInterval = max(0, sane.minimumPollInterval)
        self.configuration = sane
        var size = 1
        while size < sane.maxMissing { size <<= 1 }
        ring = Array(repeating: Entry(), count: size)
        ringMask = size - 1
    }

    /// Records one received packet of the stream.
    ///
    /// `isRetransmission` marks a repair (RTX): it can fill a gap but never advances the stream, as a
    /// retransmission newer than anything seen says nothing about loss.
    /// - Returns: true when the packet filled a gap that had been NACKed.
    @discardableResult
    mutating func received(sequenceNumber: UInt16, isKeyframe: Bool, isRetransmission: Bool, now: Int64) -> Bool {
        latestNow = now
        guard let highest else {
            start(at: sequenceNumber, isKeyframe: isKeyframe)
            return false
        }
        let step = Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highest)))
        let sequence = highest + step
        if step > 0, step <= Int64(configuration.maxJump) {
            guard !isRetransmission else { return false }
            if isKeyframe { lastKeyframe = sequence }
            addMissing(after: highest, upTo: sequence, now: now)
            self.highest = sequence
            return false
        }
        if step <= 0, -step <= Int64(configuration.maxPacketAge) {
            if isKeyframe, lastKeyframe.map({ sequence > $0 }) ?? true { lastKeyframe = sequence }
            return step < 0 && fill(sequence)
        }
        // Discontinuity: one stray packet changes nothing; the next in line confirms a restart.
        guard !isRetransmission else { return false }
        if probation == sequenceNumber {
            restart(at: sequenceNumber, isKeyframe: isKeyframe)
        } else {
            probation = sequenceNumber &+ 1
        }
        return false
    }

    /// Writes the NACK entries due at `now` into `pairs` (replacing its contents; reuse one array so
    /// polling never allocates), marking them sent.
    ///
    /// `rtt` is the publisher leg's round-trip time in nanoseconds, if known; it paces retries.
    mutating func poll(now: Int64, rtt: Int64?, into pairs: inout [NackPair]) -> Decision {
        pairs.removeAll(keepingCapacity: true)
        latestNow = now
        lastPoll = now
        var decision = Decision(requestKeyframe: keyframeWanted)
        keyframeWanted = false
        let interval = retryInterval(rtt: rtt)
        var next: Int64?
        var capped = false
        var open: NackPair?
        var openSequence: Int64 = 0
        var index = 0
        while index < count {
            let slot = (head + index) & ringMask
            index += 1
            guard ring[slot].live else { continue }
            let entry = ring[slot]
            let due = entry.time &+ (entry.retries == 0 ? configuration.reorderDelay : interval)
            guard now &- due >= 0 else {
                next = earlier(next, due)
                continue
            }
            let offset = entry.sequence - openSequence
            if open != nil, offset <= 16 {
                open?.lostBitmask |= 1 << (offset - 1)
            } else {
                if let pair = open { pairs.append(pair) }
                guard pairs.count < configuration.maxPairsPerPoll else {
                    // The rest is due too: the caller polls again at once.
                    open = nil
                    capped = true
                    break
                }
                open = NackPair(packetID: UInt16(truncatingIfNeeded: entry.sequence))
                openSequence = entry.sequence
            }
            decision.sequenceNumberCount += 1
            ring[slot].retries += 1
            ring[slot].time = now
            if Int(ring[slot].retries) >= configuration.maxRetries {
                ring[slot].live = false
                missingCount -= 1
            } else {
                next = earlier(next, now &+ interval)
            }
        }
        if let pair = open { pairs.append(pair) }
        dropDeadFront()
        deadline = capped ? now : next.map { later($0, now &+ configuration.minimumPollInterval) }
        return decision
    }

    /// When `poll` next has something to do; nil while nothing is missing.
    func pollTimeout() -> Int64? {
        guard keyframeWanted else { return deadline }
        // Even a keyframe request waits out the poll interval: a stream restarting on every packet
        // yields at most one request per interval.
        guard let lastPoll else { return latestNow }
        return later(latestNow, lastPoll &+ configuration.minimumPollInterval)
    }

    private func retryInterval(rtt: Int64?) -> Int64 {
        guard let rtt else { return configuration.defaultRetryInterval }
        let range = configuration.retryIntervalRange
        return min(max(rtt, range.lowerBound), range.upperBound)
    }

    private func earlier(_ a: Int64?, _ b: Int64) -> Int64 {
        guard let a else { return b }
        return a &- b <= 0 ? a : b
    }

    private func later(_ a: Int64, _ b: Int64) -> Int64 {
        a &- b >= 0 ? a : b
    }

    private mutating func start(at sequenceNumber: UInt16, isKeyframe: Bool) {
        highest = Int64(sequenceNumber)
        lastKeyframe = isKeyframe ? Int64(sequenceNumber) : nil
        probation = nil
    }

    /// A new stream under the same SSRC: the old gaps mean nothing, and a decoder needs a keyframe.
    private mutating func restart(at sequenceNumber: UInt16, isKeyframe: Bool) {
        clear()
        start(at: sequenceNumber, isKeyframe: isKeyframe)
        if !isKeyframe { keyframeWanted = true }
    }

    private mutating func clear() {
        head = 0
        count = 0
        missingCount = 0
        deadline = nil
    }

    /// Appends `highest+1 ..< newest` (at most `maxJump - 1` entries), making room first.
    private mutating func addMissing(after highest: Int64, upTo newest: Int64, now: Int64) {
        let gap = Int(newest - highest - 1)
        // Too old to ask for any more.
        while count > 0, ring[head].sequence < newest - Int64(configuration.maxPacketAge) { popFront() }
        guard gap > 0 else { return }
        guard makeRoom(gap) else {
            clear()
            keyframeWanted = true
            return
        }
        var sequence = highest + 1
        while sequence < newest {
            ring[(head + count) & ringMask] = Entry(sequence: sequence, time: now, live: true)
            count += 1
            sequence += 1
        }
        missingCount += gap
        var due = now &+ configuration.reorderDelay
        if let lastPoll { due = later(due, lastPoll &+ configuration.minimumPollInterval) }
        deadline = earlier(deadline, due)
    }

    /// Frees `needed` places: received entries first, then everything older than the latest keyframe,
    /// which a decoder no longer needs. False when even that is not enough.
    private mutating func makeRoom(_ needed: Int) -> Bool {
        let capacity = configuration.maxMissing
        guard needed <= capacity else { return false }
        if count + needed <= capacity { return true }
        compact()
        if count + needed <= capacity { return true }
        if let keyframe = lastKeyframe {
            while count > 0, ring[head].sequence < keyframe { popFront() }
        }
        return count + needed <= capacity
    }

    /// Removes the dead entries in place, keeping order. O(count), only when the ring is full.
    private mutating func compact() {
        var kept = 0
        for index in 0..<count {
            let entry = ring[(head + index) & ringMask]
            guard entry.live else { continue }
            ring[(head + kept) & ringMask] = entry
            kept += 1
        }
        count = kept
    }

    private mutating func popFront() {
        if ring[head].live { missingCount -= 1 }
        ring[head].live = false
        head = (head + 1) & ringMask
        count -= 1
    }

    private mutating func dropDeadFront() {
        while count > 0, !ring[head].live {
            head = (head + 1) & ringMask
            count -= 1
        }
        if count == 0 { head = 0 }
    }

    /// Clears a late or retransmitted packet's entry, found by binary search.
    private mutating func fill(_ sequence: Int64) -> Bool {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if ring[(head + middle) & ringMask].sequence < sequence { low = middle + 1 } else { high = middle }
        }
        guard low < count else { return false }
        let slot = (head + low) & ringMask
        guard ring[slot].sequence == sequence, ring[slot].live else { return false }
        ring[slot].live = false
        missingCount -= 1
        let wasNacked = ring[slot].retries > 0
        dropDeadFront()
        if missingCount == 0 {
            clear()
        }
        return wasNacked
    }
}
