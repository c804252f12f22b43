/// In-place SSRC rewrites for a relay that terminates RTCP between legs: feedback received from one
/// leg is re-addressed to the other without re-encoding (RFC 4585 §6.1 layout).
///
/// `packet` must start at the packet's header, e.g. `UnsafeMutableRawBufferPointer(rebasing:
/// datagram[rtcpPacket.range])`. Rewriting SSRCs never changes lengths, so other packets of the
/// compound and the compound's framing stay valid.
public enum RTCPRewriter {
    /// Sets the SSRC of the packet sender: the first word after the header in SR, RR, RTPFB and PSFB.
    public static func setSenderSSRC(_ ssrc: UInt32, in packet: UnsafeMutableRawBufferPointer) throws(RTCPError) {
        try validate(packet, allowingReports: true, minimumBody: 4)
        packet.writeUInt32(ssrc, at: 4)
    }

    /// Sets the SSRC of the media source in an RTPFB or PSFB packet.
    ///
    /// FIR and REMB leave this field zero and name their targets in the FCI instead
    /// (RFC 5104 §4.3.1.2, REMB draft §2.2); use `setFullIntraRequestSSRC` / `setEstimateSSRC` there.
    public static func setMediaSSRC(_ ssrc: UInt32, in packet: UnsafeMutableRawBufferPointer) throws(RTCPError) {
        try validate(packet, allowingReports: false, minimumBody: 8)
        packet.writeUInt32(ssrc, at: 8)
    }

    /// Sets the target SSRC of FIR entry `index`.
    public static func setFullIntraRequestSSRC(
        _ ssrc: UInt32, entry index: Int, in packet: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) {
        let fir = try FullIntraRequest(parsing: UnsafeRawBufferPointer(packet))
        guard fir.entries.indices.contains(index) else { throw .valueOutOfRange }
        packet.writeUInt32(ssrc, at: FeedbackSSRCs.prefixLength + index * FullIntraRequest.Entry.size)
    }

    /// Sets SSRC `index` of a REMB's feedback list.
    public static func setEstimateSSRC(
        _ ssrc: UInt32, at index: Int, in packet: UnsafeMutableRawBufferPointer
    ) throws(RTCPError) {
        let remb = try ReceiverEstimatedMaxBitrate(parsing: UnsafeRawBufferPointer(packet))
        guard remb.ssrcs.indices.contains(index) else { throw .valueOutOfRange }
        packet.writeUInt32(ssrc, at: FeedbackSSRCs.prefixLength + 8 + index * 4)
    }

    /// Checks the packet is of one of `types` and really holds the SSRC word(s) about to be written.
    private static func validate(
        _ packet: UnsafeMutableRawBufferPointer, allowingReports: Bool, minimumBody: Int
    ) throws(RTCPError) {
        let (header, body, _) = try RTCPHeader.split(UnsafeRawBufferPointer(packet))
        let isFeedback = header.packetType == .transportFeedback || header.packetType == .payloadFeedback
        let isReport = header.packetType == .senderReport || header.packetType == .receiverReport
        guard isFeedback || (allowingReports && isReport) else { throw .unexpectedPacketType }
        guard body.count >= minimumBody else { throw .malformedBody }
    }
}
