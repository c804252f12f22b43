import Congestion
import RTCP
import RTP

/// A publisher's congestion control, as a browser's sender does it (libwebrtc's send-side GCC): every RTP
/// packet it sends (video, audio, retransmissions) carries a transport-wide sequence number, the relay
/// answers with transport-cc feedback, and the estimate that comes out (`SendSideBandwidthEstimator`, the
/// relay's own) sets the encoders' bitrates and the pacing rate. Without it the tester sends `--video-kbps`
/// into whatever the link takes, as no browser does.
///
/// Video gets the estimate minus an audio reserve, split over the layers lowest first
/// (`SimulcastBitrateAllocator`; one stream is one layer clamped to [30 kbit/s, `--video-kbps`]). The
/// estimate starts at the most the publisher can send, so on an ample link it sends exactly what a
/// fixed-rate publisher sends, and a cap shows as delay or loss within the first feedbacks. (Chromium
/// starts at 300 kbit/s and probes upward.) While a simulcast layer is paused, the estimate cannot climb
/// to resume it on its own (GCC never goes far above what is sent and acknowledged), so, as the relay does
/// for its subscribers, it probes toward the rate that layer needs with padding-only packets (Chromium
/// pads up to it instead).
struct PublisherRateControl {
    static let uri = ViewerTransportFeedback.uri
    /// The id publishers offer it under (Chromium's).
    static let offeredID: UInt8 = ViewerTransportFeedback.offeredID
    /// Kept for audio before video shares the estimate: Opus at 32 kbit/s plus its packets' headers (the
    /// relay keeps the same reserve per audio consumer).
    static let audioReserve: UInt64 = 64_000
    /// Video's share of what is left: the rest is RTP, SRTP and extension headers, which the encoder's
    /// target does not count (1,100-byte payloads carry ~60 bytes of them).
    static let payloadShare = 0.95
    /// The encoders are retargeted when a layer's rate moves this much (or it pauses or resumes), not on
    /// every feedback.
    static let retargetStep = 0.05

    let extensionID: UInt8
    private var estimator: SendSideBandwidthEstimator
    private var allocator: SimulcastBitrateAllocator
    private var sequenceNumber = UInt16.random(in: 0...UInt16.max)
    private let start = ContinuousClock.now
    /// What the encoders were last set to, per layer (bits/s; 0: paused).
    private(set) var applied: [UInt64]
    /// Transport feedback packets read.
    private(set) var feedbackReceived = 0
    /// The probe being sent: its cluster, and the bytes and packets still to send for it.
    private(set) var probe: (cluster: ProbeCluster, bytesLeft: Int, packetsLeft: Int)?
    /// Padding packets sent for probes.
    private(set) var probePackets = 0

    /// `layers`: the video layers, lowest first (one for a single stream).
    init(extensionID: UInt8, layers: [SimulcastBitrateAllocator.Layer]) {
        self.extensionID = extensionID
        allocator = SimulcastBitrateAllocator(layers: layers)
        // Every layer at its maximum, with headers and audio: an ample link leaves the encoders at `--video-kbps`.
        let video = Double(layers.reduce(UInt64(0)) { $0 &+ $1.maximum }) / Self.payloadShare
        let most = Self.audioReserve &+ UInt64(min(video, 1e12))
        estimator = SendSideBandwidthEstimator(
            configuration: .init(initialBitrate: most, minimumBitrate: 30_000, maximumBitrate: most))
        applied = layers.map(\.maximum)
    }

    /// The send-side estimate (bits/s), audio included.
    var estimate: UInt64 { estimator.targetBitrate }
    /// What the video encoders are set to, all layers together.
    var videoTarget: UInt64 { applied.reduce(0, +) }

    /// The extension's placeholder, written into every packet when it is built and set as it leaves.
    var placeholder: RTPHeaderExtension { RTPHeaderExtension(id: extensionID, value: [0, 0]) }

    private var nanoseconds: Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    /// Writes the next transport-wide sequence number into a plain packet carrying the placeholder and
    /// returns it; nil (nothing written) when the packet has no such extension.
    mutating func stamp(_ packet: inout [UInt8]) -> UInt16? {
        let id = extensionID
        let next = sequenceNumber &+ 1
        let written = packet.withUnsafeMutableBytes { raw -> Bool in
            guard let header = try? RTPHeader(parsing: UnsafeRawBufferPointer(raw)),
                let range = header.extensionValueRange(id: id, in: UnsafeRawBufferPointer(raw)), range.count == 2
            else { return false }
            raw[range.lowerBound] = UInt8(next >> 8)
            raw[range.lowerBound + 1] = UInt8(truncatingIfNeeded: next)
            return true
        }
        guard written else { return nil }
        sequenceNumber = next
        return next
    }

    /// Whether a layer's new rate is worth retargeting its encoder for.
    private static func differs(_ new: UInt64, _ old: UInt64) -> Bool {
        if (new == 0) != (old == 0) { return true }
        let change = abs(Double(new) - Double(old))
        return change >= retargetStep * Double(max(old, 1))
    }

    /// A stamped packet left, `size` bytes on the wire (after SRTP); `probe` when it was a probe's padding.
    mutating func sent(sequenceNumber: UInt16, size: Int, probe isProbe: Bool = false) {
        guard isProbe, let active = probe else {
            return estimator.onPacketSent(sequenceNumber: sequenceNumber, size: size, at: nanoseconds)
        }
        estimator.onPacketSent(sequenceNumber: sequenceNumber, size: size, at: nanoseconds, probeCluster: active.cluster.id)
        probePackets += 1
        let left = (bytesLeft: active.bytesLeft - size, packetsLeft: active.packetsLeft - 1)
        probe = left.bytesLeft > 0 || left.packetsLeft > 0 ? (active.cluster, left.bytesLeft, left.packetsLeft) : nil
    }

    /// Bytes of probe padding due in one pacer tick of `interval` (at least one packet's worth while a probe
    /// is out); starts the next probe when the estimator asks for one.
    mutating func probeBytesDue(in interval: Duration) -> Int {
        if probe == nil, let cluster = estimator.pollProbe(at: nanoseconds) {
            probe = (cluster, cluster.minBytes, cluster.minPackets)
        }
        guard let probe else { return 0 }
        let seconds = Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds)
        return max(Int(Double(probe.cluster.bitrate) / 8 * seconds), 1)
    }

    /// Reads the transport feedback in an RTCP compound packet from the relay. Returns the layers' new
    /// bitrates when the encoders should change, nil otherwise.
    mutating func feedback(rtcp packet: [UInt8]) -> [UInt64]? {
        let now = nanoseconds
        let read = packet.withUnsafeBytes { raw -> Int in
            guard let compound = try? RTCPCompoundPacket(validating: raw) else { return 0 }
            var read = 0
            for item in compound {
                guard case .transportWideFeedback(let feedback) = item.view else { continue }
                estimator.onFeedback(feedback, at: now)
                read += 1
            }
            return read
        }
        guard read > 0 else { return nil }
        feedbackReceived += read
        let forVideo = estimate > Self.audioReserve ? estimate - Self.audioReserve : 0
        let rates = allocator.allocate(UInt64(Double(forVideo) * Self.payloadShare))
        estimator.setDesiredBitrate(desiredBitrate(for: rates))
        guard zip(rates, applied).contains(where: Self.differs) else { return nil }
        applied = rates
        return rates
    }

    /// The estimate at which the lowest paused layer would resume (its minimum with the allocator's
    /// hysteresis, above the targets of the layers below it, plus audio and headers); nil when none is paused.
    private func desiredBitrate(for rates: [UInt64]) -> UInt64? {
        guard let paused = rates.firstIndex(of: 0) else { return nil }
        let layers = allocator.layers
        let below = layers[..<paused].reduce(UInt64(0)) { $0 &+ $1.target }
        let video = Double(below) + SimulcastBitrateAllocator.hysteresis * Double(layers[paused].minimum)
        return Self.audioReserve &+ UInt64(video / Self.payloadShare)
    }
}
