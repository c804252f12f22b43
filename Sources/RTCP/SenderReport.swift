/// Sender report, PT 200 (RFC 3550 §6.4.1). A view borrowing the packet's memory.
public struct SenderReport {
    /// At most 31 blocks fit the five-bit report count.
    public static let maxReportBlocks = 31

    public let ssrc: UInt32
    public let senderInfo: SenderInfo
    public let reportBlocks: ReportBlocks
    /// Profile-specific extension after the report blocks (RFC 3550 §6.4.1); usually empty.
    public let profileExtension: UnsafeRawBufferPointer

    /// Parses a single SR packet starting at the first byte of `packet`.
    public init(parsing packet: UnsafeRawBufferPointer) throws(RTCPError) {
        let (header, body) = try RTCPHeader.split(packet, type: .senderReport)
        let blocksStart = 4 + SenderInfo.size
        guard body.count >= blocksStart else { throw .malformedBody }
        ssrc = body.readUInt32(at: 0)
        senderInfo = SenderInfo(decoding: body, at: 4)
        reportBlocks = try ReportBlocks.parse(body, at: blocksStart, count: Int(header.count))
        profileExtension = body.slice((blocksStart + reportBlocks.count * ReportBlock.size)..<body.count)
    }

    /// Encoded size of an SR with `reportBlockCount` blocks.
    public static func encodedLength(reportBlockCount: Int) -> Int {
        RTCPHeader.size + 4 + SenderInfo.size + reportBlockCount * ReportBlock.size
    }

    /// Encodes an SR at the start of `buffer`.
    /// - Returns: bytes written.
    public static func write(
        ssrc: UInt32, senderInfo: SenderInfo, reportBlocks: some Collection<ReportBlock>,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) -> Int {
        let count = reportBlocks.count
        guard count <= maxReportBlocks else { throw .valueOutOfRange }
        let length = encodedLength(reportBlockCount: count)
        try ensureCapacity(buffer, length)
        try RTCPHeader.forPacket(type: .senderReport, count: UInt8(count), packetLength: length).write(to: buffer)
        buffer.writeUInt32(ssrc, at: 4)
        senderInfo.encode(into: buffer, at: 8)
        reportBlocks.encode(into: buffer, at: 8 + SenderInfo.size)
        return length
    }

    /// Convenience builder returning a fresh array.
    public static func build(
        ssrc: UInt32, senderInfo: SenderInfo, reportBlocks: some Collection<ReportBlock> = [ReportBlock]()
    ) throws(RTCPError) -> [UInt8] {
        try buildBytes(count: encodedLength(reportBlockCount: reportBlocks.count)) { buffer throws(RTCPError) in
            try write(ssrc: ssrc, senderInfo: senderInfo, reportBlocks: reportBlocks, into: buffer)
        }
    }
}
