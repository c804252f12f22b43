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
    /// Arrival times are truncated to the 250 µs grid and each delta is taken between grid points,
    /// so rounding never accumulates: decoded time = `floor(time / 250 µs) * 250 µs`.
    /// Does not allocate when `arrivals` has contiguous storage (arrays, buffer pointers).
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
        try withContiguousArrivals(arrivals) { arrivals throws(RTCPError) in
            let encoder = try TransportWideFeedbackEncoder(arrivals: arrivals, referenceTime: referenceTime)
            return try encoder.write(
                senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: feedbackPacketCount, into: buffer)
        }
    }

    public static func build(
        senderSSRC: UInt32, mediaSSRC: UInt32, feedbackPacketCount: UInt8,
        arrivals: some Collection<Arrival>, referenceTime: Int32? = nil
    ) throws(RTCPError) -> [UInt8] {
        try withContiguousArrivals(arrivals) { arrivals throws(RTCPError) in
            let encoder = try TransportWideFeedbackEncoder(arrivals: arrivals, referenceTime: referenceTime)
            return try buildBytes(count: encoder.encodedLength) { buffer throws(RTCPError) in
                try encoder.write(
                    senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, feedbackPacketCount: feedbackPacketCount,
                    into: buffer)
            }
        }
    }

    /// Runs `body` on the arrivals' own storage when they have it, on a copy otherwise.
    private static func withContiguousArrivals<R>(
        _ arrivals: some Collection<Arrival>,
        _ body: (UnsafeBufferPointer<Arrival>) throws(RTCPError) -> R
    ) throws(RTCPError) -> R {
        let contiguous = arrivals.withContiguousStorageIfAvailable { buffer in
            Result { () throws(RTCPError) in try body(buffer) }
        }
        let result = contiguous ?? Array(arrivals).withUnsafeBufferPointer { buffer in
            Result { () throws(RTCPError) in try body(buffer) }
        }
        return try result.get()
    }
}
