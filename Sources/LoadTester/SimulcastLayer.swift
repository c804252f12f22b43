import MediaCodecs
import RTP
import VP8

/// One simulcast layer of a load-tester publisher, as Chromium sends `sendEncodings` (RFC 8853): its own
/// libvpx encoder at a fraction of the camera's size and bitrate, its own SSRC (`PeerClient.simulcastSSRC`),
/// sequence numbers and picture IDs, and its rid in the rtp-stream-id extension of every packet, by which
/// the relay tells the layers apart (the offer carries no `a=ssrc`).
struct SimulcastLayer {
    /// The web client's layers (`Public/js/relay-client.js` `simulcastEncodings`): quarter, half and full
    /// size at 150 kbit/s, 500 kbit/s and the publisher's bitrate; rids low to high.
    static let rids = ["q", "h", "f"]
    static let scales = [4, 2, 1]
    static let lowKbps = [150, 500]
    static let ridURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"

    let rid: String
    let ssrc: UInt32
    let width: Int
    let height: Int
    private let encoder: VP8Encoder
    private let source: SyntheticVideoSource
    private var frame: I420Frame
    private var packetizer: VP8Packetizer
    private var sequence = UInt16.random(in: 0...0x7FFF)

    init(rid: String, ssrc: UInt32, width: Int, height: Int, frameRate: Int, kbps: Int) throws {
        self.rid = rid
        self.ssrc = ssrc
        // libvpx wants even dimensions.
        self.width = max(2, width & ~1)
        self.height = max(2, height & ~1)
        encoder = try VP8Encoder(
            .init(width: self.width, height: self.height, frameRate: frameRate, targetBitrateKbps: kbps))
        source = SyntheticVideoSource(width: self.width, height: self.height)
        frame = I420Frame(width: self.width, height: self.height)
        packetizer = try VP8Packetizer(maxPayloadSize: MediaPublisher.maximumPayload, initialPictureID: 0)
    }

    /// The three layers for a camera of `width` x `height` whose top layer gets `kbps`.
    static func layers(
        ssrc: (Int) -> UInt32, width: Int, height: Int, frameRate: Int, kbps: Int
    ) throws -> [SimulcastLayer] {
        try rids.indices.map { index in
            try SimulcastLayer(
                rid: rids[index], ssrc: ssrc(index), width: width / scales[index], height: height / scales[index],
                frameRate: frameRate, kbps: index < lowKbps.count ? min(lowKbps[index], kbps) : kbps)
        }
    }

    /// This layer's packets of frame `index` (unprotected), each with `stamp` and the rid extension.
    mutating func packets(
        frameIndex index: Int, timestamp: UInt32, keyframe: Bool, stamp: RTPHeaderExtension, ridExtensionID: UInt8
    ) -> [[UInt8]] {
        source.render(frameIndex: index, into: &frame)
        guard let encoded = try? encoder.encode(frame, forceKeyframe: keyframe) else { return [] }
        let payloads = packetizer.packetize(encoded.data)
        let rid = RTPHeaderExtension(id: ridExtensionID, value: Array(self.rid.utf8))
        return payloads.enumerated().compactMap { position, payload in
            sequence &+= 1
            return try? RTPHeaderBuilder(
                marker: position == payloads.count - 1, payloadType: 96, sequenceNumber: sequence, timestamp: timestamp,
                ssrc: ssrc, extensions: [stamp, rid]
            ).packet(payload: payload)
        }
    }
}
