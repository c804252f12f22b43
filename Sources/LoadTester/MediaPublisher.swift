import MediaCodecs
import RTP
import VP8

/// Real media, as a browser would send it: VP8 from libvpx over a synthetic moving picture, Opus
/// from libopus in 20 ms frames, packetized per RFC 7741 / RFC 7587, each packet stamped with its
/// send time in an RTP header extension so receivers measure what the relay added.
final class MediaPublisher {
    static let maximumPayload = 1_100
    /// Bytes of padding in a probe packet (RTP's most).
    static let paddingLength: UInt8 = 255

    let videoSSRC: UInt32
    let audioSSRC: UInt32
    /// Its own encoder and picture; nil when it was made to send the run's shared encoder's frames.
    private let encoder: VP8Encoder?
    private let source: SyntheticVideoSource?
    private var frame: I420Frame
    private var packetizer: VP8Packetizer
    private let opus: OpusEncoder
    private var tone: SyntheticAudioSource
    private var videoSequence = UInt16.random(in: 0...0x7FFF)
    private var audioSequence = UInt16.random(in: 0...0x7FFF)
    private var frameIndex = 0
    /// Video frames sent so far (every layer's counts once).
    var framesSent: Int { frameIndex }
    private var audioTimestamp = UInt32.random(in: 0...0xFFFF)
    private let videoTimestampBase = UInt32.random(in: 0...0xFFFF)
    let frameRate: Int
    private(set) var keyframeRequested = false
    private let sendTime: SendTimeCarrier
    private let extensionIDs: SendTimeExtensionIDs
    /// Where `.packetIndex` stamps are resolved back into send times.
    let sendLog: SendTimeLog?
    /// With simulcast, the layers sent instead of the single encoder's stream (`SimulcastLayer`).
    private var layers: [SimulcastLayer] = []
    private var ridExtensionID: UInt8 = 0
    /// With congestion control, every packet is built with a transport-wide sequence number's placeholder,
    /// set as it leaves (`PublisherRateControl`).
    var transportSequence: RTPHeaderExtension?
    /// The run's one encoder, when this publisher sends at a fixed rate without simulcast (`SharedVideoEncoder`).
    let sharedEncoder: SharedVideoEncoder?
    /// When the last frames were encoded (a ring), for the frame rate the encoders really get.
    private var frameTimes = [ContinuousClock.Instant](repeating: .now, count: 16)

    init(
        videoSSRC: UInt32, audioSSRC: UInt32, width: Int, height: Int, frameRate: Int, videoKbps: Int, grain: Int = 0,
        sendTime: SendTimeCarrier = .privateExtension, extensionIDs: SendTimeExtensionIDs, sendLog: SendTimeLog? = nil,
        sharedEncoder: SharedVideoEncoder? = nil
    ) throws {
        self.videoSSRC = videoSSRC
        self.audioSSRC = audioSSRC
        self.sendTime = sendTime
        self.extensionIDs = extensionIDs
        self.sendLog = sendLog
        self.frameRate = frameRate
        self.sharedEncoder = sharedEncoder
        if sharedEncoder == nil {
            encoder = try VP8Encoder(.init(width: width, height: height, frameRate: frameRate, targetBitrateKbps: videoKbps))
            source = SyntheticVideoSource(width: width, height: height, grain: grain)
            frame = I420Frame(width: width, height: height)
        } else {
            // A shared encoder's publisher renders and encodes nothing: no libvpx context, picture or grain table.
            encoder = nil
            source = nil
            frame = I420Frame(width: 2, height: 2)
        }
        packetizer = try VP8Packetizer(maxPayloadSize: Self.maximumPayload, initialPictureID: 0)
        opus = try OpusEncoder(.init(channels: .mono, application: .voip, bitrate: 32_000))
        tone = SyntheticAudioSource(channels: .mono)
    }

    /// Sends `layers` (low to high) instead of one stream; packets carry their rid under `ridExtensionID`.
    func sendSimulcast(_ layers: [SimulcastLayer], ridExtensionID: UInt8) {
        self.layers = layers
        self.ridExtensionID = ridExtensionID
    }

    /// The simulcast layers sent, lowest first; empty for one stream.
    var simulcastLayers: [SimulcastLayer] { layers }

    /// The SSRCs video goes out on: one, or one per simulcast layer.
    var videoSSRCs: [UInt32] { layers.isEmpty ? [videoSSRC] : layers.map(\.ssrc) }

    /// Retargets the encoders, bits/s per layer (one for a single stream); 0 pauses a layer, which sends
    /// nothing until it resumes with a keyframe, as Chromium stops an encoding the estimate cannot carry.
    ///
    /// libvpx spends its target per frame at the configured frame rate (frames carry no wall-clock time), so
    /// when the tester's frames come late (a busy CPU), it sends less than asked. A browser's encoder gets
    /// real timestamps; here the target is scaled by configured over measured frame rate (at most 2×) instead.
    func setVideoRates(_ rates: [UInt64]) {
        let scale = min(max(Double(frameRate) / measuredFrameRate, 1), 2)
        let kbps = rates.map { Int(min(max(Double($0) * scale / 1_000, 1), 100_000)) }
        guard !layers.isEmpty else {
            if let rate = kbps.first { try? encoder?.setTargetBitrate(kbps: rate) }
            return
        }
        for index in layers.indices where index < rates.count {
            layers[index].setRate(kbps: rates[index] == 0 ? nil : kbps[index])
        }
    }

    /// Frames per second over the last 15 frames (the configured rate until there are any).
    var measuredFrameRate: Double {
        let newest = frameTimes[(frameIndex + frameTimes.count - 1) % frameTimes.count]
        let oldest = frameTimes[frameIndex % frameTimes.count]
        let span = newest - oldest
        let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
        guard frameIndex > frameTimes.count, seconds > 0 else { return Double(frameRate) }
        return Double(frameTimes.count - 1) / seconds
    }

    private func frameStarted() {
        frameTimes[frameIndex % frameTimes.count] = .now
    }

    /// The next video frame's RTP packets (unprotected).
    /// `sendTime` is read once the frame is encoded, so the encoder's time is not counted as the relay's.
    func nextVideoPackets(sendTime: () -> UInt64) -> [[UInt8]] {
        frameStarted()
        if !layers.isEmpty { return nextSimulcastPackets(sendTime: sendTime) }
        if sharedEncoder == nil { source?.render(frameIndex: frameIndex, into: &frame) }
        let timestamp = videoTimestampBase &+ UInt32(truncatingIfNeeded: frameIndex * 90_000 / frameRate)
        let index = frameIndex
        frameIndex += 1
        let next = sharedEncoder.map { $0.frame() } ?? (try? encoder?.encode(frame, forceKeyframe: keyframeRequested))
        guard let encoded = next else { return [] }
        keyframeRequested = false
        let stamp = stamp(video: true, index: index, sendTime: sendTime())
        let payloads = packetizer.packetize(encoded.data)
        return payloads.enumerated().compactMap { index, payload in
            videoSequence &+= 1
            return try? header(
                ssrc: videoSSRC, payloadType: 96, sequenceNumber: videoSequence, timestamp: timestamp,
                marker: index == payloads.count - 1, stamp: stamp
            ).packet(payload: payload)
        }
    }

    /// Every layer's packets of the next frame, lowest layer first; one send time for the frame.
    private func nextSimulcastPackets(sendTime: () -> UInt64) -> [[UInt8]] {
        let timestamp = videoTimestampBase &+ UInt32(truncatingIfNeeded: frameIndex * 90_000 / frameRate)
        let index = frameIndex
        frameIndex += 1
        let keyframe = keyframeRequested
        keyframeRequested = false
        var encoded: [[[UInt8]]] = []
        // Encode first, stamp after (the encoders' time is not the relay's): a placeholder of the stamp's id
        // and length, overwritten once all layers are encoded.
        let placeholder = self.sendTime.stamp(video: true, index: index, nanoseconds: 0, ids: extensionIDs)
        for layer in layers.indices {
            encoded.append(layers[layer].packets(
                frameIndex: index, timestamp: timestamp, keyframe: keyframe, stamp: placeholder,
                ridExtensionID: ridExtensionID, transportSequence: transportSequence))
        }
        let now = sendTime()
        let stamp = stamp(video: true, index: index, sendTime: now)
        return encoded.flatMap { $0 }.map { packet in restamped(packet, with: stamp) }
    }

    /// A built packet with its send-time extension's value replaced by `stamp`'s (same id and length).
    private func restamped(_ packet: [UInt8], with stamp: RTPHeaderExtension) -> [UInt8] {
        var packet = packet
        packet.withUnsafeMutableBytes { raw in
            guard let header = try? RTPHeader(parsing: UnsafeRawBufferPointer(raw)),
                let range = header.extensionValueRange(id: stamp.id, in: UnsafeRawBufferPointer(raw)),
                range.count == stamp.value.count
            else { return }
            for (offset, index) in range.enumerated() { raw[index] = stamp.value[offset] }
        }
        return packet
    }

    /// A padding-only video packet for a bandwidth probe (plain RTP, with the transport-wide sequence
    /// number's placeholder): on the lowest layer's SSRC with simulcast, else on the video SSRC, next in its
    /// sequence, so the relay counts it and forwards nothing. Nil without congestion control.
    func paddingPacket() -> [UInt8]? {
        guard let transportSequence else { return nil }
        let timestamp = videoTimestampBase &+ UInt32(truncatingIfNeeded: max(frameIndex - 1, 0) * 90_000 / frameRate)
        if !layers.isEmpty {
            return layers[0].paddingPacket(
                timestamp: timestamp, ridExtensionID: ridExtensionID, transportSequence: transportSequence)
        }
        videoSequence &+= 1
        return try? RTPHeaderBuilder(
            payloadType: 96, sequenceNumber: videoSequence, timestamp: timestamp, ssrc: videoSSRC,
            extensions: [transportSequence]
        ).packet(payload: [UInt8](), paddingLength: Self.paddingLength)
    }

    /// The next 20 ms of Opus as one RTP packet (unprotected).
    func nextAudioPacket(sendTime: () -> UInt64) -> [UInt8]? {
        let pcm = tone.nextFrame(samplesPerChannel: 960)
        guard let payload = try? opus.encode(pcm) else { return nil }
        audioSequence &+= 1
        audioTimestamp &+= 960
        return try? header(
            ssrc: audioSSRC, payloadType: 111, sequenceNumber: audioSequence, timestamp: audioTimestamp, marker: false,
            stamp: stamp(video: false, index: Int(audioSequence), sendTime: sendTime())
        ).packet(payload: payload)
    }

    /// The relay forwarded a subscriber's PLI: the next frame is a keyframe.
    func requestKeyframe() {
        keyframeRequested = true
        sharedEncoder?.requestKeyframe()
    }

    private func header(
        ssrc: UInt32, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, marker: Bool, stamp: RTPHeaderExtension
    ) -> RTPHeaderBuilder {
        RTPHeaderBuilder(
            marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc,
            extensions: [stamp] + (transportSequence.map { [$0] } ?? []))
    }

    /// The send-time extension for a packet, logging its time first when the stamp is an index.
    private func stamp(video: Bool, index: Int, sendTime: UInt64) -> RTPHeaderExtension {
        sendLog?.record(video: video, index: index, nanoseconds: Int64(sendTime))
        return self.sendTime.stamp(video: video, index: index, nanoseconds: sendTime, ids: extensionIDs)
    }
}
