import RTP

/// Simulcast as Chromium sends it (RFC 8853): one video section with several rids, each layer on its
/// own SSRC named by the rtp-stream-id extension, its RTX on another named by repaired-rtp-stream-id.
/// The SSRCs are derived from `videoSSRC` / `videoRTXSSRC`, so tests and the load tester can tell the
/// layers apart without the SDP carrying them.
extension PeerClient {
    /// The extension ids the offer uses, as Chromium numbers them.
    public static let rtpStreamIDExtension: UInt8 = 10
    public static let repairedRTPStreamIDExtension: UInt8 = 11

    var simulcastExtensionLines: [String] {
        [
            "a=extmap:\(Self.rtpStreamIDExtension) urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            "a=extmap:\(Self.repairedRTPStreamIDExtension) urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        ]
    }

    func simulcastLines(_ rids: [String]) -> [String] {
        rids.map { "a=rid:\($0) send" } + ["a=simulcast:send \(rids.joined(separator: ";"))"]
    }

    /// The SSRC layer `index` (0 = first rid) is sent on.
    public func simulcastSSRC(layer index: Int) -> UInt32 {
        videoSSRC &+ 0x0101 &* UInt32(truncatingIfNeeded: index + 1)
    }

    /// The SSRC layer `index`'s retransmissions are sent on.
    public func simulcastRTXSSRC(layer index: Int) -> UInt32 {
        videoRTXSSRC &+ 0x0101 &* UInt32(truncatingIfNeeded: index + 1)
    }

    /// One protected RTP packet of a simulcast layer, its rid in the rtp-stream-id extension (Chromium
    /// keeps sending it until the receiver reports on the SSRC; this sends it always).
    public func simulcastPacket(
        rid: String, layer index: Int, payloadType: UInt8 = PeerClient.vp8PayloadType, sequenceNumber: UInt16,
        timestamp: UInt32, payload: [UInt8], marker: Bool = false, paddingLength: UInt8 = 0
    ) throws -> [UInt8] {
        let header = RTPHeaderBuilder(
            marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp,
            ssrc: simulcastSSRC(layer: index),
            extensions: [RTPHeaderExtension(id: Self.rtpStreamIDExtension, value: Array(rid.utf8))])
        return try protectRTP(try header.packet(payload: payload, paddingLength: paddingLength))
    }
}

extension PeerClient {
    /// A protected RFC 4588 retransmission of a simulcast layer's packet, on that layer's RTX SSRC with
    /// its rid in the repaired-rtp-stream-id extension (how Chromium repairs a layer without `a=ssrc`).
    public func simulcastRetransmission(
        rid: String, layer index: Int, sequenceNumber: UInt16, originalSequenceNumber: UInt16, timestamp: UInt32,
        payload: [UInt8], marker: Bool = false
    ) throws -> [UInt8] {
        let header = RTPHeaderBuilder(
            marker: marker, payloadType: Self.rtxPayloadType, sequenceNumber: sequenceNumber, timestamp: timestamp,
            ssrc: simulcastRTXSSRC(layer: index),
            extensions: [RTPHeaderExtension(id: Self.repairedRTPStreamIDExtension, value: Array(rid.utf8))])
        let osn = [UInt8(originalSequenceNumber >> 8), UInt8(originalSequenceNumber & 0xFF)]
        return try protectRTP(try header.packet(payload: osn + payload))
    }
}
