import PeerClient
import RTCP
import RTP
import STUN

/// The two ends of a cascade pipe, sans-IO: a WHEP viewer of the room's origin (`upstream`) and a
/// publisher into the relay that fans the room out again (`downstream`). Both are ordinary WebRTC
/// connections (ICE, DTLS-SRTP), so a worker of this process and a relay on another machine are piped
/// to by one mechanism, and the origin treats an edge like any viewer.
///
/// Media goes down with only its SSRC and payload type rewritten: sequence numbers and timestamps are
/// kept, so a NACK names the same packets at both ends. Keyframe requests and NACKs go up, re-addressed
/// to the origin's SSRCs; sender reports go down, so the edge's viewers keep lip sync.
///
/// Not thread-safe: one owner (a worker's event loop).
public final class CascadeBridge {
    public enum Side: Sendable, Equatable {
        case upstream, downstream
    }

    public enum State: Sendable, Equatable {
        case connecting, connected, failed(String)
    }

    public struct Counters: Sendable, Equatable {
        /// RTP packets taken from the origin and handed to the local relay.
        public var forwarded: UInt64 = 0
        /// Keyframe requests and NACKs passed up to the origin.
        public var feedbackUp: UInt64 = 0
        /// Datagrams neither side could use (unknown SSRC, bad SRTP, before keys).
        public var dropped: UInt64 = 0
    }

    /// Extensions offered at both ends with the same ids, so they pass through unchanged: the mid
    /// (always on, id 4), the audio level the edge's speaker detection reads, the camera's orientation,
    /// and the load tester's send time (so it measures what every hop of a cascade adds).
    static let headerExtensions: [String: UInt8] = [
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1, "urn:peerlearn:rtp-hdrext:send-time": 5,
        "urn:3gpp:video-orientation": 13,
    ]
    /// How often a connected side repeats its check (RFC 7675 consent freshness), and how often an
    /// unanswered first check is resent.
    static let consentInterval: Duration = .seconds(5)
    static let checkRetryInterval: Duration = .milliseconds(200)
    /// A pipe that has not connected both ways in this long has failed: the relay's own connect timeout, so a
    /// busy machine fails a pipe no sooner than it would fail a browser.
    static let connectTimeout: Duration = .seconds(30)
    /// A side that has sent nothing for this long is gone (an origin killed sends no close_notify); its
    /// consent checks are answered every `consentInterval`, so a live one is never this quiet.
    static let silenceTimeout: Duration = .seconds(12)

    public private(set) var counters = Counters()
    let upstream: PeerClient
    let downstream: PeerClient
    private var outgoing: [(bytes: [UInt8], to: TransportAddress)] = []
    private var nextCheck: (upstream: ContinuousClock.Instant?, downstream: ContinuousClock.Instant?)
    private var startedAt: ContinuousClock.Instant?
    private var lastHeard: (upstream: ContinuousClock.Instant?, downstream: ContinuousClock.Instant?)

    public init() throws {
        upstream = try PeerClient()
        // NACKs are answered by the origin with the same sequence numbers; re-protecting them here
        // protects an index twice.
        downstream = try PeerClient(allowRepeatTransmission: true)
    }

    /// The WHEP offer for the origin: receive audio and video.
    public func upstreamOffer() -> String {
        upstream.makeOffer(audio: .recvonly, video: .recvonly, headerExtensions: Self.headerExtensions)
    }

    /// The publish offer for the local relay: send audio and video, on the bridge's own SSRCs.
    public func downstreamOffer() -> String {
        downstream.makeOffer(audio: .sendonly, video: .sendonly, headerExtensions: Self.headerExtensions)
    }

    /// Applies one side's answer. `reachAt` replaces the answer's candidate (a worker of this process is
    /// reached where it binds).
    public func applyAnswer(_ answer: String, from side: Side, reachAt address: TransportAddress? = nil) throws {
        let client = self.client(side)
        try client.applyAnswer(answer)
        if let address { client.useRemote(address) }
    }

    /// Where each side's datagrams go, once its answer is applied.
    public func remote(_ side: Side) -> TransportAddress? { client(side).remote }

    public var state: State {
        for side in [Side.upstream, .downstream] {
            if case .failed(let reason) = client(side).state { return .failed("\(side): \(reason)") }
        }
        if upstream.isConnected && downstream.isConnected {
            if let now = lastNow {
                for (side, heard) in [(Side.upstream, lastHeard.upstream), (.downstream, lastHeard.downstream)] {
                    if let heard, now - heard > Self.silenceTimeout { return .failed("\(side): silent") }
                }
            }
            return .connected
        }
        if let startedAt, let now = lastNow, now - startedAt > Self.connectTimeout { return .failed("not connected in time") }
        return .connecting
    }

    private var lastNow: ContinuousClock.Instant?

    /// Starts ICE (then DTLS) on both sides; call after both answers are applied.
    public func start(now: ContinuousClock.Instant) {
        startedAt = now
        lastNow = now
        upstream.start(now: now)
        downstream.start(now: now)
        nextCheck = (now + Self.checkRetryInterval, now + Self.checkRetryInterval)
    }

    /// A datagram that arrived from `side`'s remote.
    public func handleDatagram(_ datagram: [UInt8], from side: Side, now: ContinuousClock.Instant) {
        lastNow = now
        if side == .upstream { lastHeard.upstream = now } else { lastHeard.downstream = now }
        switch client(side).handleDatagram(datagram, now: now) {
        case .control:
            break
        case .dropped:
            counters.dropped &+= 1
        case .rtp(let header, var packet):
            guard side == .upstream, forwardDown(header: header, packet: &packet) else {
                counters.dropped &+= 1
                return
            }
        case .rtcp(let packet):
            if side == .upstream { passSenderReportsDown(packet) } else { passFeedbackUp(packet) }
        }
    }

    /// DTLS retransmissions, resent first checks and consent checks.
    public func handleTimeout(now: ContinuousClock.Instant) {
        lastNow = now
        upstream.handleTimeout(now: now)
        downstream.handleTimeout(now: now)
        if let due = nextCheck.upstream, due <= now { nextCheck.upstream = check(upstream, now: now) }
        if let due = nextCheck.downstream, due <= now { nextCheck.downstream = check(downstream, now: now) }
    }

    /// When `handleTimeout` next has work: DTLS retransmissions are checked at least this often.
    public func pollTimeout() -> ContinuousClock.Instant? {
        let checks = [nextCheck.upstream, nextCheck.downstream].compactMap { $0 }
        guard let earliest = checks.min() else { return nil }
        return upstream.isConnected && downstream.isConnected ? earliest : min(earliest, (lastNow ?? earliest) + .milliseconds(50))
    }

    /// The next datagram to send and where.
    public func pollTransmit() -> (bytes: [UInt8], to: TransportAddress)? {
        if let datagram = upstream.pollTransmit() { return datagram }
        if let datagram = downstream.pollTransmit() { return datagram }
        return outgoing.isEmpty ? nil : outgoing.removeFirst()
    }

    // MARK: - Translation

    private func client(_ side: Side) -> PeerClient { side == .upstream ? upstream : downstream }

    private func check(_ client: PeerClient, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        client.start(now: now)
        return now + (client.isConnected ? Self.consentInterval : Self.checkRetryInterval)
    }

    /// Re-addresses an origin packet to the bridge's own SSRC and payload type for its kind and
    /// protects it for the local relay.
    private func forwardDown(header: RTPHeader, packet: inout [UInt8]) -> Bool {
        guard downstream.isConnected, let remote = downstream.remote else { return false }
        let ssrc: UInt32
        let payloadType: UInt8
        if header.ssrc == upstream.remoteSSRCs["video"] {
            (ssrc, payloadType) = (downstream.videoSSRC, PeerClient.vp8PayloadType)
        } else if header.ssrc == upstream.remoteSSRCs["audio"] {
            (ssrc, payloadType) = (downstream.audioSSRC, PeerClient.opusPayloadType)
        } else {
            return false
        }
        let rewritten: Bool = packet.withUnsafeMutableBytes { bytes in
            guard let rewriter = RTPPacketRewriter(bytes) else { return false }
            rewriter.ssrc = ssrc
            rewriter.payloadType = payloadType
            return true
        }
        guard rewritten, let protected = try? downstream.protectRTP(packet) else { return false }
        outgoing.append((protected, remote))
        counters.forwarded &+= 1
        return true
    }

    /// The origin's sender reports, as the bridge's: the edge maps RTP time to wall-clock time for its
    /// own viewers' lip sync. Report blocks (about what the origin receives, nothing) are left out.
    private func passSenderReportsDown(_ packet: [UInt8]) {
        guard downstream.isConnected, let remote = downstream.remote else { return }
        packet.withUnsafeBytes { bytes in
            guard let compound = try? RTCPCompoundPacket(validating: bytes) else { return }
            for part in compound {
                guard case .senderReport(let report) = part.view else { continue }
                let ssrc: UInt32
                if report.ssrc == upstream.remoteSSRCs["video"] {
                    ssrc = downstream.videoSSRC
                } else if report.ssrc == upstream.remoteSSRCs["audio"] {
                    ssrc = downstream.audioSSRC
                } else {
                    continue
                }
                guard let rebuilt = try? SenderReport.build(ssrc: ssrc, senderInfo: report.senderInfo),
                    let protected = try? downstream.protectRTCP(rebuilt)
                else { continue }
                outgoing.append((protected, remote))
            }
        }
    }

    /// What the local relay asks of the bridge's video (PLI, FIR, NACK), asked of the origin.
    private func passFeedbackUp(_ packet: [UInt8]) {
        guard upstream.isConnected, let remote = upstream.remote, let originVideo = upstream.remoteSSRCs["video"]
        else { return }
        let sender = upstream.videoSSRC
        var requests: [[UInt8]] = []
        packet.withUnsafeBytes { bytes in
            guard let compound = try? RTCPCompoundPacket(validating: bytes) else { return }
            for part in compound {
                switch part.view {
                case .pictureLossIndication(let pli) where pli.mediaSSRC == downstream.videoSSRC:
                    requests.append(PictureLossIndication(senderSSRC: sender, mediaSSRC: originVideo).build())
                case .fullIntraRequest(let fir) where fir.entries.contains(where: { $0.ssrc == downstream.videoSSRC }):
                    requests.append(PictureLossIndication(senderSSRC: sender, mediaSSRC: originVideo).build())
                case .genericNack(let nack) where nack.mediaSSRC == downstream.videoSSRC:
                    if let rebuilt = try? GenericNack.build(senderSSRC: sender, mediaSSRC: originVideo, pairs: Array(nack.pairs)) {
                        requests.append(rebuilt)
                    }
                default:
                    continue
                }
            }
        }
        for request in requests {
            guard let protected = try? upstream.protectRTCP(request) else { continue }
            outgoing.append((protected, remote))
            counters.feedbackUp &+= 1
        }
    }
}
