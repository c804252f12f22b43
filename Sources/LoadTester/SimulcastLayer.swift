import Congestion
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
    /// Paused by congestion control: nothing is encoded or sent; the first frame after is a keyframe.
    private(set) var paused = false
    private var resuming = false

    init(rid: String, ssrc: UInt32, width: Int, height: Int, frameRate: Int, kbps: Int, grain: Int = 0) throws {
        self.rid = rid
        self.ssrc = ssrc
        // libvpx wants even dimensions.
        self.width = max(2, width & ~1)
        self.height = max(2, height & ~1)
        encoder = try VP8Encoder(
            .init(width: self.width, height: self.height, frameRate: frameRate, targetBitrateKbps: kbps))
        source = SyntheticVideoSource(width: self.width, height: self.height, grain: grain)
        frame = I420Frame(width: self.width, height: self.height)
        packetizer = try VP8Packetizer(maxPayloadSize: MediaPublisher.maximumPayload, initialPictureID: 0)
    }

    /// The three layers for a camera of `width` x `height` whose top layer gets `kbps`.
    static func layers(
        ssrc: (Int) -> UInt32, width: Int, height: Int, frameRate: Int, kbps: Int, grain: Int = 0
    ) throws -> [SimulcastLayer] {
        try rids.indices.map { index in
            try SimulcastLayer(
                rid: rids[index], ssrc: ssrc(index), width: width / scales[index], height: height / scales[index],
                frameRate: frameRate, kbps: index < lowKbps.count ? min(lowKbps[index], kbps) : kbps, grain: grain)
        }
    }

    /// Retargets the encoder (kbit/s), or pauses the layer (nil).
    mutating func setRate(kbps: Int?) {
        guard let kbps else {
            paused = true
            return
        }
        if paused { resuming = true }
        paused = false
        try? encoder.setTargetBitrate(kbps: kbps)
    }

    /// libwebrtc's lowest bitrate for a layer of a size (`kSimulcastFormats`: 320x180 and smaller 30, 480x270 and
    /// 640x360 150, 960x540 350, 1280x720 600, 1920x1080 800 kbit/s), the largest whose pixels this one reaches.
    static func minimumKbps(width: Int, height: Int) -> Int {
        let formats = [(1_920 * 1_080, 800), (1_280 * 720, 600), (960 * 540, 350), (480 * 270, 150)]
        return formats.first { width * height >= $0.0 }?.1 ?? 30
    }

    /// The layers' rates for congestion control (`SimulcastBitrateAllocator`): each wants its configured
    /// bitrate and needs at least its size's minimum (never above the bitrate itself).
    static func allocatorLayers(_ layers: [SimulcastLayer], kbps: Int) -> [SimulcastBitrateAllocator.Layer] {
        layers.indices.map { index in
            let most = UInt64(index < lowKbps.count ? min(lowKbps[index], kbps) : kbps) * 1_000
            let least = min(UInt64(minimumKbps(width: layers[index].width, height: layers[index].height)) * 1_000, most)
            return SimulcastBitrateAllocator.Layer(minimum: least, target: most, maximum: most)
        }
    }

    /// A padding-only packet (a bandwidth probe) on this layer's SSRC, next in its sequence: the relay counts it
    /// for congestion control and does not forward it. Nil while paused.
    mutating func paddingPacket(
        timestamp: UInt32, ridExtensionID: UInt8, transportSequence: RTPHeaderExtension
    ) -> [UInt8]? {
        guard !paused else { return nil }
        sequence &+= 1
        return try? RTPHeaderBuilder(
            payloadType: 96, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc,
            extensions: [RTPHeaderExtension(id: ridExtensionID, value: Array(rid.utf8)), transportSequence]
        ).packet(payload: [UInt8](), paddingLength: MediaPublisher.paddingLength)
    }

    /// This layer's packets of frame `index` (unprotected), each with `stamp`, the rid extension and the
    /// transport-wide sequence number's placeholder if any; none while paused.
    mutating func packets(
        frameIndex index: Int, timestamp: UInt32, keyframe: Bool, stamp: RTPHeaderExtension, ridExtensionID: UInt8,
        transportSequence: RTPHeaderExtension? = nil
    ) -> [[UInt8]] {
        guard !paused else { return [] }
        source.render(frameIndex: index, into: &frame)
        // A resumed layer's decoder (and the relay switching a viewer to it) needs a keyframe.
        guard let encoded = try? encoder.encode(frame, forceKeyframe: keyframe || resuming) else { return [] }
        resuming = false
        let payloads = packetizer.packetize(encoded.data)
        let rid = RTPHeaderExtension(id: ridExtensionID, value: Array(self.rid.utf8))
        return payloads.enumerated().compactMap { position, payload in
            sequence &+= 1
            return try? RTPHeaderBuilder(
                marker: position == payloads.count - 1, payloadType: 96, sequenceNumber: sequence, timestamp: timestamp,
                ssrc: ssrc, extensions: [stamp, rid] + (transportSequence.map { [$0] } ?? [])
            ).packet(payload: payload)
        }
    }
}
