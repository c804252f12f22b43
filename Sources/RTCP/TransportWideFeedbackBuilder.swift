extension TransportWideFeedback {
    /// A transport-wide sequence number and when it arrived, for building feedback.
    public struct Arrival: Sendable, Equatable, Hashable {
        public var sequenceNumber: UInt16
        /// Microseconds on the receiver's clock; `nil` if the packet is missing.
        public var time: Int64?

        public init(sequenceNumber: UInt16, time: Int64?) {
            self.sequenceNumber = sequenceNumber
            self.time = time
        }
    }

    /// Encodes feedback for `arrivals`, which must be in ascending (wrapping) sequence order without
    /// duplicates; sequence numbers skipped in the list are reported as not received.
    ///
    /// Arrival times are truncated to the 250 µs grid; each delta is taken between grid points so
    /// rounding never accumulates (decoded time = `floor(time / 250 µs) * 250 µs`).
    ///
    /// - Parameter referenceTime: in 64 ms units; by default the first received arrival rounded
    ///   down, which keeps that first delta small.
    /// - Throws: `.valueOutOfRange` for empty input, misordered sequence numbers, more than 65535
    ///   statuses, or a delta beyond ±8.19 s (start a new feedback packet instead).
    /// - Returns: bytes written.
    public static func write(
        senderSSRC: UInt32, mediaSSRC: UInt32, feedbackPacketCount: UInt8,
        arrivals: some Collection<Arrival>, referenceTime: Int32? = nil,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let plan = try TransportWideFeedbackPlan(arrivals: arrivals, referenceTime: referenceTime)
        return try plan.write(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: feedbackPacketCount, into: buffer)
    }

    public static func build(
        senderSSRC: UInt32, mediaSSRC: UInt32, feedbackPacketCount: UInt8,
        arrivals: some Collection<Arrival>, referenceTime: Int32? = nil
    ) throws(RTCPError) -> [UInt8] {
        let plan = try TransportWideFeedbackPlan(arrivals: arrivals, referenceTime: referenceTime)
        return try buildBytes(count: plan.encodedLength) { buffer throws(RTCPError) in
            try plan.write(
                senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: feedbackPacketCount, into: buffer)
        }
    }
}

/// Symbols, deltas and chunk choice for one feedback packet, computed before writing.
struct TransportWideFeedbackPlan {
    let baseSequenceNumber: UInt16
    let referenceTime: Int32
    let symbols: [UInt8]
    /// Receive deltas in 250 µs ticks, one per received packet.
    let deltas: [Int16]
    let chunks: [PacketChunk]

    var statusCount: Int { symbols.count }

    var encodedLength: Int {
        let deltaBytes = symbols.reduce(0) { $0 + Int($1) }  // symbol value == delta width
        return paddedToWord(
            FeedbackSSRCs.prefixLength + TransportWideFeedback.fixedLength + chunks.count * 2 + deltaBytes)
    }

    init(arrivals: some Collection<TransportWideFeedback.Arrival>, referenceTime: Int32?) throws(RTCPError) {
        guard let first = arrivals.first else { throw .valueOutOfRange }
        baseSequenceNumber = first.sequenceNumber
        let tick = TransportWideFeedback.deltaTick
        let reference: Int64
        if let referenceTime {
            reference = Int64(referenceTime)
        } else if let firstTime = arrivals.lazy.compactMap(\.time).first {
            reference = Self.floorDivide(firstTime, TransportWideFeedback.referenceTimeTick)
        } else {
            reference = 0
        }
        guard let reference32 = Int32(exactly: reference),
              TransportWideFeedback.referenceTimeRange.contains(reference32)
        else { throw .valueOutOfRange }
        self.referenceTime = reference32

        var symbols: [UInt8] = []
        var deltas: [Int16] = []
        symbols.reserveCapacity(arrivals.count)
        deltas.reserveCapacity(arrivals.count)
        var previousTicks = reference * (TransportWideFeedback.referenceTimeTick / tick)
        for arrival in arrivals {
            let position = Int(arrival.sequenceNumber &- baseSequenceNumber)
            guard position >= symbols.count, position < Int(UInt16.max) else { throw .valueOutOfRange }
            while symbols.count < position { symbols.append(TransportWideFeedback.Status.notReceived.rawValue) }
            guard let time = arrival.time else {
                symbols.append(TransportWideFeedback.Status.notReceived.rawValue)
                continue
            }
            let ticks = Self.floorDivide(time, tick)
            guard let delta = Int16(exactly: ticks - previousTicks) else { throw .valueOutOfRange }
            previousTicks = ticks
            deltas.append(delta)
            symbols.append(
                (0...255).contains(delta)
                    ? TransportWideFeedback.Status.receivedSmallDelta.rawValue
                    : TransportWideFeedback.Status.receivedLargeDelta.rawValue)
        }
        self.symbols = symbols
        self.deltas = deltas
        chunks = Self.chooseChunks(symbols)
    }

    /// Greedy chunk choice: a run-length chunk whenever a run would fill a vector anyway (or ends
    /// the list), otherwise the densest vector the next symbols allow — one-bit when none of them
    /// needs a large delta, two-bit when one does.
    static func chooseChunks(_ symbols: [UInt8]) -> [PacketChunk] {
        var chunks: [PacketChunk] = []
        var index = 0
        while index < symbols.count {
            let remaining = symbols.count - index
            var run = 1
            while run < PacketChunk.maxRunLength, index + run < symbols.count, symbols[index + run] == symbols[index] {
                run += 1
            }
            let oneBitWindow = symbols[index..<(index + min(PacketChunk.oneBitCapacity, remaining))]
            let needsTwoBit = oneBitWindow.contains(TransportWideFeedback.Status.receivedLargeDelta.rawValue)
            let vectorCapacity = needsTwoBit ? PacketChunk.twoBitCapacity : PacketChunk.oneBitCapacity
            if run >= vectorCapacity || run == remaining {
                chunks.append(.runLength(symbol: symbols[index], count: run))
                index += run
            } else {
                let take = min(vectorCapacity, remaining)
                chunks.append(.vector(symbols: symbols[index..<(index + take)], twoBit: needsTwoBit))
                index += take
            }
        }
        return chunks
    }

    func write(
        senderSSRC: UInt32, mediaSSRC: UInt32, feedbackPacketCount: UInt8, into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let length = encodedLength
        try ensureCapacity(buffer, length)
        try FeedbackSSRCs.write(
            type: .transportFeedback, format: TransportWideFeedback.format, packetLength: length,
            sender: senderSSRC, media: mediaSSRC, into: buffer)
        var offset = FeedbackSSRCs.prefixLength
        buffer.writeUInt16(baseSequenceNumber, at: offset)
        buffer.writeUInt16(UInt16(statusCount), at: offset + 2)
        buffer.writeUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF, at: offset + 4)
        buffer[offset + 7] = feedbackPacketCount
        offset += TransportWideFeedback.fixedLength
        for chunk in chunks {
            buffer.writeUInt16(chunk.raw, at: offset)
            offset += 2
        }
        for delta in deltas {
            if (0...255).contains(delta) {
                buffer[offset] = UInt8(delta)
                offset += 1
            } else {
                buffer.writeUInt16(UInt16(bitPattern: delta), at: offset)
                offset += 2
            }
        }
        // §3.1: zero padding to a 32-bit boundary, inside the length (no RTCP padding bit).
        buffer.zero(offset..<length)
        return length
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }
}
