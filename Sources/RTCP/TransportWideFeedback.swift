/// Transport-wide congestion control feedback, RTPFB FMT 15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1). A view borrowing the packet's memory.
///
/// ```
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |
/// ...                          recv deltas ...         zero padding
/// ```
/// Chunks and deltas are validated against the packet length up front, so iterating `packets`
/// cannot fail or read out of bounds.
public struct TransportWideFeedback {
    public static let format: UInt8 = 15
    /// Receive deltas count multiples of 250 µs (§3.1.5).
    public static let deltaTick: Int64 = 250
    /// Reference time counts multiples of 64 ms (§3.1).
    public static let referenceTimeTick: Int64 = 64_000
    /// Reference time is a signed 24-bit field.
    public static let referenceTimeRange: ClosedRange<Int32> = -0x80_0000...0x7F_FFFF
    /// Fixed FCI fields before the first chunk.
    static let fixedLength = 8

    /// Packet status symbols (§3.1.1).
    public enum Status: UInt8, Sendable, Hashable {
        case notReceived = 0
        /// Delta fits one unsigned octet: 0 ... 63.75 ms.
        case receivedSmallDelta = 1
        /// Delta needs two signed octets: negative or beyond 63.75 ms.
        case receivedLargeDelta = 2
    }

    /// The fate of one transport-wide sequence number.
    public struct PacketReport: Sendable, Equatable, Hashable {
        public var sequenceNumber: UInt16
        public var status: Status
        /// Arrival time minus the previous received packet's (or the reference time, for the first),
        /// in microseconds; `nil` when not received.
        public var receiveDelta: Int32?

        public init(sequenceNumber: UInt16, status: Status, receiveDelta: Int32?) {
            self.sequenceNumber = sequenceNumber
            self.status = status
            self.receiveDelta = receiveDelta
        }
    }

    public let senderSSRC: UInt32
    public let mediaSSRC: UInt32
    public let baseSequenceNumber: UInt16
    public let packetStatusCount: UInt16
    /// Signed, in multiples of 64 ms.
    public let referenceTime: Int32
    /// Increments per feedback packet sent, so the sender can detect lost feedback.
    public let feedbackPacketCount: UInt8
    /// One report per sequence number from `baseSequenceNumber`, `packetStatusCount` in all.
    public let packets: PacketReports

    public var referenceTimeMicroseconds: Int64 { Int64(referenceTime) * Self.referenceTimeTick }

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (ssrcs, fci) = try FeedbackSSRCs.parse(packet, type: .transportFeedback, format: Self.format)
        guard fci.count >= Self.fixedLength else { throw .malformedBody }
        senderSSRC = ssrcs.sender
        mediaSSRC = ssrcs.media
        baseSequenceNumber = fci.readUInt16(at: 0)
        packetStatusCount = fci.readUInt16(at: 2)
        referenceTime = Int32(bitPattern: fci.readUInt24(at: 4) << 8) >> 8
        feedbackPacketCount = fci[7]

        // Walk the chunks once to find where they end and how many delta bytes they announce.
        var remaining = Int(packetStatusCount)
        var offset = Self.fixedLength
        var deltaBytes = 0
        while remaining > 0 {
            guard offset + 2 <= fci.count else { throw .malformedBody }
            let chunk = PacketChunk(fci.readUInt16(at: offset))
            offset += 2
            let symbols = min(chunk.capacity, remaining)
            deltaBytes += try chunk.deltaBytes(firstSymbols: symbols)
            remaining -= symbols
        }
        guard offset + deltaBytes <= fci.count else { throw .malformedBody }
        packets = PacketReports(
            chunks: fci.slice(Self.fixedLength..<offset), deltas: fci.slice(offset..<(offset + deltaBytes)),
            baseSequenceNumber: baseSequenceNumber, count: Int(packetStatusCount))
    }

    /// Lazily decoded packet reports.
    public struct PacketReports: Sequence {
        let chunks: UnsafeRawBufferPointer
        let deltas: UnsafeRawBufferPointer
        let baseSequenceNumber: UInt16
        public let count: Int

        public var underestimatedCount: Int { count }

        public func makeIterator() -> Iterator {
            Iterator(reports: self)
        }

        public struct Iterator: IteratorProtocol {
            let reports: PacketReports
            var index = 0
            var chunkOffset = 0
            var chunk = PacketChunk(0)
            var symbolIndex = 0
            var symbolsLeft = 0
            var deltaOffset = 0

            init(reports: PacketReports) {
                self.reports = reports
            }

            public mutating func next() -> PacketReport? {
                guard index < reports.count else { return nil }
                while symbolsLeft == 0 {
                    guard chunkOffset + 2 <= reports.chunks.count else { return nil }
                    chunk = PacketChunk(reports.chunks.readUInt16(at: chunkOffset))
                    chunkOffset += 2
                    symbolIndex = 0
                    symbolsLeft = chunk.capacity
                }
                let symbol = chunk.symbol(at: symbolIndex)
                symbolIndex += 1
                symbolsLeft -= 1
                let sequenceNumber = reports.baseSequenceNumber &+ UInt16(truncatingIfNeeded: index)
                index += 1

                let deltas = reports.deltas
                switch symbol {
                case Status.receivedSmallDelta.rawValue where deltaOffset + 1 <= deltas.count:
                    let ticks = Int32(deltas[deltaOffset])
                    deltaOffset += 1
                    return PacketReport(
                        sequenceNumber: sequenceNumber, status: .receivedSmallDelta,
                        receiveDelta: ticks * Int32(TransportWideFeedback.deltaTick))
                case Status.receivedLargeDelta.rawValue where deltaOffset + 2 <= deltas.count:
                    let ticks = Int32(Int16(bitPattern: deltas.readUInt16(at: deltaOffset)))
                    deltaOffset += 2
                    return PacketReport(
                        sequenceNumber: sequenceNumber, status: .receivedLargeDelta,
                        receiveDelta: ticks * Int32(TransportWideFeedback.deltaTick))
                case Status.notReceived.rawValue:
                    return PacketReport(sequenceNumber: sequenceNumber, status: .notReceived, receiveDelta: nil)
                default:
                    // Unreachable after validation; stop rather than report garbage.
                    index = reports.count
                    return nil
                }
            }
        }
    }
}
