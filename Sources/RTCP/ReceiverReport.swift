/// Receiver report, PT 201 (RFC 3550 §6.4.2). A view borrowing the packet's memory.
public struct ReceiverReport {
    public static let maxReportBlocks = 31

    public let ssrc: UInt32
    public let reportBlocks: ReportBlocks
    /// Profile-specific extension after the report blocks (RFC 3550 §6.4.2); usually empty.
    public let profileExtension: UnsafeRawBufferPointer

    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (header, body) = try RTCPHeader.split(packet, type: .receiverReport)
        guard body.count >= 4 else { throw .malformedBody }
        ssrc = body.readUInt32(at: 0)
        reportBlocks = try ReportBlocks.parse(body, at: 4, count: Int(header.count))
        profileExtension = body.slice((4 + reportBlocks.count * ReportBlock.size)..<body.count)
    }

    public static func encodedLength(reportBlockCount: Int) -> Int {
        RTCPHeader.size + 4 + reportBlockCount * ReportBlock.size
    }

    /// Encodes an RR at the start of `buffer`. An RR with no blocks is the mandatory first packet
    /// of a compound when there is nothing to report (RFC 3550 §6.1).
    /// - Returns: bytes written.
    public static func write(
        ssrc: UInt32, reportBlocks: some Collection<ReportBlock>, into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let count = reportBlocks.count
        guard count <= maxReportBlocks else { throw .valueOutOfRange }
        let length = encodedLength(reportBlockCount: count)
        try ensureCapacity(buffer, length)
        try RTCPHeader.forPacket(type: .receiverReport, count: UInt8(count), packetLength: length).write(to: buffer)
        buffer.writeUInt32(ssrc, at: 4)
        reportBlocks.encode(into: buffer, at: 8)
        return length
    }

    public static func build(
        ssrc: UInt32, reportBlocks: some Collection<ReportBlock> = [ReportBlock]()
    ) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(reportBlockCount: reportBlocks.count)) { buffer throws(RTCPError) in
            try write(ssrc: ssrc, reportBlocks: reportBlocks, into: buffer)
        }
    }
}
