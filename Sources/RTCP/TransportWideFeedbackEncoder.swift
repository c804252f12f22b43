/// Allocation-free encoder for transport-wide CC feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
///
/// Validation and length computation happen up front; writing then walks the arrivals twice as a
/// stream of status symbols (once to plan chunks, once to emit them), looking ahead by copying the
/// cursor instead of buffering symbols.
struct TransportWideFeedbackEncoder {
    let arrivals: UnsafeBufferPointer<TransportWideFeedback.Arrival>
    let baseSequenceNumber: UInt16
    let referenceTime: Int32
    let statusCount: Int
    let deltaBytes: Int
    let chunkCount: Int

    var encodedLength: Int {
        paddedToWord(FeedbackSSRCs.prefixLength + TransportWideFeedback.fixedLength + chunkCount * 2 + deltaBytes)
    }

    init(arrivals: UnsafeBufferPointer<TransportWideFeedback.Arrival>, referenceTime: Int32?) throws(RTCPError) {
        guard let first = arrivals.first else { throw .valueOutOfRange }
        self.arrivals = arrivals
        baseSequenceNumber = first.sequenceNumber

        let reference: Int64
        if let referenceTime {
            reference = Int64(referenceTime)
        } else if let firstTime = arrivals.first(where: { $0.time != nil })?.time {
            reference = floorDivide(firstTime, TransportWideFeedback.referenceTimeTick)
        } else {
            reference = 0
        }
        guard let reference32 = Int32(exactly: reference),
              TransportWideFeedback.referenceTimeRange.contains(reference32)
        else { throw .valueOutOfRange }
        self.referenceTime = reference32

        // Validate order and delta ranges, and size the delta section.
        var position = 0
        var previousTicks = ArrivalSymbols.ticks(referenceTime: reference32)
        var deltaBytes = 0
        for arrival in arrivals {
            let target = Int(arrival.sequenceNumber &- baseSequenceNumber)
            guard target >= position else { throw .valueOutOfRange }
            position = target + 1
            guard let time = arrival.time else { continue }
            let ticks = floorDivide(time, TransportWideFeedback.deltaTick)
            guard let delta = Int16(exactly: ticks - previousTicks) else { throw .valueOutOfRange }
            previousTicks = ticks
            deltaBytes += Int(ArrivalSymbols.symbol(for: delta))
        }
        guard position <= Int(UInt16.max) else { throw .valueOutOfRange }
        statusCount = position
        self.deltaBytes = deltaBytes

        var chunks = 0
        var cursor = ArrivalSymbols(arrivals: arrivals, referenceTime: reference32)
        while let (_, covered) = Self.nextChunk(from: cursor, remaining: statusCount - cursor.position) {
            cursor.skip(covered)
            chunks += 1
        }
        chunkCount = chunks
    }

    func write(
        senderSSRC: UInt32, mediaSSRC: UInt32, feedbackPacketCount: UInt8, into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let length = encodedLength
        try ensureCapacity(buffer, length)
        try FeedbackSSRCs.write(
            type: .transportFeedback, format: TransportWideFeedback.format, packetLength: length,
            sender: senderSSRC, media: mediaSSRC, into: buffer)
        let fixed = FeedbackSSRCs.prefixLength
        buffer.writeUInt16(baseSequenceNumber, at: fixed)
        buffer.writeUInt16(UInt16(statusCount), at: fixed + 2)
        buffer.writeUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF, at: fixed + 4)
        buffer[fixed + 7] = feedbackPacketCount

        var chunkOffset = fixed + TransportWideFeedback.fixedLength
        var deltaOffset = chunkOffset + chunkCount * 2
        var cursor = ArrivalSymbols(arrivals: arrivals, referenceTime: referenceTime)
        while let (chunk, covered) = Self.nextChunk(from: cursor, remaining: statusCount - cursor.position) {
            buffer.writeUInt16(chunk.raw, at: chunkOffset)
            chunkOffset += 2
            for _ in 0..<covered {
                guard let (symbol, delta) = cursor.next() else { break }
                switch symbol {
                case TransportWideFeedback.Status.receivedSmallDelta.rawValue:
                    buffer[deltaOffset] = UInt8(truncatingIfNeeded: delta)
                    deltaOffset += 1
                case TransportWideFeedback.Status.receivedLargeDelta.rawValue:
                    buffer.writeUInt16(UInt16(bitPattern: delta), at: deltaOffset)
                    deltaOffset += 2
                default:
                    break
                }
            }
        }
        // §3.1: zero padding to a 32-bit boundary, counted in the length (no RTCP padding bit).
        buffer.zero(deltaOffset..<length)
        return length
    }

    /// Chooses the chunk starting at `cursor` and how many symbols it covers.
    ///
    /// Greedy: whichever of a run-length chunk and the densest admissible status vector covers more
    /// symbols. The vector is one-bit unless a large delta appears among its next 14 symbols.
    static func nextChunk(from cursor: ArrivalSymbols, remaining: Int) -> (PacketChunk, Int)? {
        guard remaining > 0 else { return nil }
        var probe = cursor
        var window: UInt32 = 0  // up to 14 symbols, two bits each, first symbol lowest
        var windowCount = 0
        var needsTwoBit = false
        var runSymbol: UInt8 = 0
        var run = 0
        var runEnded = false
        while let (symbol, _) = probe.next() {
            if windowCount < PacketChunk.oneBitCapacity {
                window |= UInt32(symbol) << (2 * windowCount)
                windowCount += 1
                needsTwoBit = needsTwoBit || symbol == TransportWideFeedback.Status.receivedLargeDelta.rawValue
            }
            if run == 0 {
                runSymbol = symbol
                run = 1
            } else if !runEnded && symbol == runSymbol && run < PacketChunk.maxRunLength {
                run += 1
            } else {
                runEnded = true
            }
            if runEnded && windowCount == PacketChunk.oneBitCapacity { break }
        }
        let capacity = needsTwoBit ? PacketChunk.twoBitCapacity : PacketChunk.oneBitCapacity
        if run >= capacity || run == remaining {
            return (.runLength(symbol: runSymbol, count: run), run)
        }
        let take = min(capacity, remaining)
        var raw: UInt16 = needsTwoBit ? 0xC000 : 0x8000
        let width = needsTwoBit ? 2 : 1
        for index in 0..<take {
            let symbol = UInt16(window >> (2 * index) & 0x3)
            raw |= symbol << (14 - width * (index + 1))
        }
        return (PacketChunk(raw), take)
    }
}

/// The arrivals seen as one status symbol per sequence number, gaps filled with "not received".
/// A value type so lookahead is a copy. Assumes the arrivals were validated.
struct ArrivalSymbols {
    let arrivals: UnsafeBufferPointer<TransportWideFeedback.Arrival>
    let baseSequenceNumber: UInt16
    private(set) var position = 0
    private var arrivalIndex = 0
    private var previousTicks: Int64

    init(arrivals: UnsafeBufferPointer<TransportWideFeedback.Arrival>, referenceTime: Int32) {
        self.arrivals = arrivals
        baseSequenceNumber = arrivals.first?.sequenceNumber ?? 0
        previousTicks = Self.ticks(referenceTime: referenceTime)
    }

    /// The reference time on the 250 µs delta grid.
    static func ticks(referenceTime: Int32) -> Int64 {
        Int64(referenceTime) * (TransportWideFeedback.referenceTimeTick / TransportWideFeedback.deltaTick)
    }

    /// Status symbol for a delta, whose raw value is also its size in bytes (§3.1.5).
    static func symbol(for delta: Int16) -> UInt8 {
        (0...255).contains(delta)
            ? TransportWideFeedback.Status.receivedSmallDelta.rawValue
            : TransportWideFeedback.Status.receivedLargeDelta.rawValue
    }

    mutating func next() -> (symbol: UInt8, delta: Int16)? {
        guard arrivalIndex < arrivals.count else { return nil }
        let arrival = arrivals[arrivalIndex]
        let target = Int(arrival.sequenceNumber &- baseSequenceNumber)
        defer { position += 1 }
        if target > position { return (TransportWideFeedback.Status.notReceived.rawValue, 0) }
        arrivalIndex += 1
        guard let time = arrival.time else { return (TransportWideFeedback.Status.notReceived.rawValue, 0) }
        let ticks = floorDivide(time, TransportWideFeedback.deltaTick)
        let delta = Int16(truncatingIfNeeded: ticks - previousTicks)
        previousTicks = ticks
        return (Self.symbol(for: delta), delta)
    }

    mutating func skip(_ count: Int) {
        for _ in 0..<count {
            guard next() != nil else { return }
        }
    }
}

/// Division rounding towards negative infinity, so times before the clock's epoch stay on the grid.
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
}
