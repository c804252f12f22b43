import Foundation
import NIOCore
import NIOPosix
import PeerClient
import RTCP
import STUN

/// The hostile member of the room: a learner with a booking and a real room token who joins over
/// WHEP like any viewer (ICE, DTLS, SRTP), then abuses the feedback a subscriber is allowed to send.
/// Its SRTCP is properly protected, so the relay cannot drop it as noise: every NACK and PLI reaches
/// the relay's RTCP handling.
///
/// - NACK storm: generic NACKs (RFC 4585 §6.2.1) for the video leg covering `nackSpan` sequence
///   numbers ending at the newest one received, i.e. the relay's whole retransmission history, again
///   and again. Without deduplication or a budget each one makes the relay resend its history.
/// - PLI storm: PLIs (RFC 4585 §6.3.1), every other one a FIR (RFC 5104 §4.3.1), for the video leg.
///   Without a rate limit each becomes a keyframe request to the publisher.
///
/// It runs on its own event loop so its reads (the retransmissions it provokes come back to it) do
/// not queue behind the measured viewers' packets on theirs.
final class AttackSubscriber: @unchecked Sendable {
    struct Sent: Codable, Sendable {
        var nacks = 0
        /// Sequence numbers the NACKs listed, summed over packets.
        var nackedSequenceNumbers = 0
        var plis = 0
        var firs = 0
        var rtcpBytes = 0
        /// RTP packets that reached the hostile subscriber during the storm, and how many of them
        /// were not newer than what it had already received (resent packets).
        var rtpReceived = 0
        var rtpResent = 0
        var protectFailures = 0
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop: any EventLoop
    private let peer: PeerClient
    private var channel: (any Channel)?
    private var relayAddress: SocketAddress?
    /// The relay's SSRC for this subscriber's video leg, from the answer or the first VP8 packet.
    private var videoSSRC: UInt32?
    private var highestVideoSequence: UInt16?
    private var nackRate = 0
    private var pliRate = 0
    private var nackSpan = 4_096
    private var stormStarted: ContinuousClock.Instant?
    private var nacksScheduled = 0
    private var plisScheduled = 0
    private var sent = Sent()
    private var firSequence: UInt8 = 0
    private var timers: [RepeatedTask] = []
    private var tick = 0
    private(set) var resourceURL: String?
    private(set) var roomToken: String?

    init() throws {
        loop = group.next()
        peer = try PeerClient()
    }

    /// The relay's UDP address as the answer gave it (the flood's target).
    func relay() async throws -> TransportAddress? { try await loop.submit { self.peer.remote }.get() }

    func isConnected() async throws -> Bool { try await loop.submit { self.peer.isConnected }.get() }

    /// Joins `session` over WHEP with `account` (a booked learner), and starts ICE and DTLS.
    func join(
        client: ControlPlaneClient, session: ControlPlaneClient.LiveSession, account: (token: String, userID: String),
        localAddress: String
    ) async throws {
        let ticket = try await client.roomToken(session, accessToken: account.token)
        let token = ticket.token
        let offer = try await loop.submit { self.peer.makeOffer(audio: .recvonly, video: .recvonly) }.get()
        let (answer, resource) = try await client.exchange(kind: "whep", roomID: session.roomID, ticket: ticket, offer: offer)
        resourceURL = resource
        roomToken = token
        let channel = try await DatagramBootstrap(group: loop)
            // Small on purpose: the retransmissions it provokes may be dropped here once read
            // falls behind; the relay has already paid for sending them.
            .channelOption(.socketOption(.so_rcvbuf), value: 256 << 10)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in channel.pipeline.addHandler(Reader(self)) }
            .bind(host: localAddress, port: 0).get()
        try await loop.submit {
            self.channel = channel
            try self.peer.applyAnswer(answer)
            self.videoSSRC = self.peer.remoteSSRCs["video"]
            if let remote = self.peer.remote {
                self.relayAddress = try SocketAddress(ipAddress: remote.ipDescription, port: Int(remote.port))
            }
            self.peer.start(now: .now)
            self.flush()
            self.startTimers()
        }.get()
    }

    /// Starts (or, with zero rates, stops) the storms.
    func storm(nackRate: Int, pliRate: Int, nackSpan: Int) async throws {
        try await loop.submit {
            self.nackRate = nackRate
            self.pliRate = pliRate
            self.nackSpan = nackSpan
            self.sent = Sent()
            self.nacksScheduled = 0
            self.plisScheduled = 0
            self.stormStarted = nackRate > 0 || pliRate > 0 ? .now : nil
        }.get()
    }

    /// What the storm sent and got back so far.
    func report() async throws -> Sent { try await loop.submit { self.sent }.get() }

    func shutdown() async {
        _ = try? await loop.submit {
            for timer in self.timers { timer.cancel() }
            self.channel?.close(promise: nil)
        }.get()
        try? await group.shutdownGracefully()
    }

    // MARK: - On the subscriber's loop

    private func startTimers() {
        // DTLS retransmissions and consent freshness (a check every 5 s, RFC 7675), as a viewer.
        timers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
            self.tick += 1
            let now = ContinuousClock.now
            if !self.peer.isConnected || self.tick % 500 == 0 {
                self.peer.handleTimeout(now: now)
                if self.peer.isConnected { self.peer.start(now: now) }
                self.flush()
            }
        })
        timers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(2), delay: .milliseconds(2)) { _ in
            guard let started = self.stormStarted, self.peer.isConnected else { return }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            // Paced to the configured rates; a stall (a busy core) is not made up in one burst.
            let nackTarget = Int(seconds * Double(self.nackRate))
            if nackTarget - self.nacksScheduled > 2 + self.nackRate / 20 { self.nacksScheduled = nackTarget - 1 }
            while self.nacksScheduled < nackTarget {
                self.nacksScheduled += 1
                self.sendNack()
            }
            let pliTarget = Int(seconds * Double(self.pliRate))
            if pliTarget - self.plisScheduled > 2 + self.pliRate / 20 { self.plisScheduled = pliTarget - 1 }
            while self.plisScheduled < pliTarget {
                self.plisScheduled += 1
                self.sendKeyframeRequest()
            }
            self.channel?.flush()
        })
    }

    private func sendNack() {
        guard let ssrc = videoSSRC, let highest = highestVideoSequence else { return }
        // Pairs with every bit of the mask set: 17 sequence numbers each, ending at the newest.
        let pairCount = (nackSpan + 16) / 17
        let first = highest &- UInt16(truncatingIfNeeded: pairCount * 17 - 1)
        let pairs = (0..<pairCount).map { NackPair(packetID: first &+ UInt16(truncatingIfNeeded: $0 * 17), lostBitmask: 0xFFFF) }
        guard let report = try? ReceiverReport.build(ssrc: peer.videoSSRC),
            let nack = try? GenericNack.build(senderSSRC: peer.videoSSRC, mediaSSRC: ssrc, pairs: pairs)
        else { return }
        if send(report + nack) {
            sent.nacks += 1
            sent.nackedSequenceNumbers += pairCount * 17
        }
    }

    private func sendKeyframeRequest() {
        guard let ssrc = videoSSRC, let report = try? ReceiverReport.build(ssrc: peer.videoSSRC) else { return }
        let useFIR = (sent.plis + sent.firs) % 2 == 1
        let request: [UInt8]
        if useFIR {
            firSequence &+= 1
            guard let fir = try? FullIntraRequest.build(
                senderSSRC: peer.videoSSRC, entries: [FullIntraRequest.Entry(ssrc: ssrc, sequenceNumber: firSequence)])
            else { return }
            request = fir
        } else {
            request = PictureLossIndication(senderSSRC: peer.videoSSRC, mediaSSRC: ssrc).build()
        }
        if send(report + request) {
            if useFIR { sent.firs += 1 } else { sent.plis += 1 }
        }
    }

    private func send(_ plain: [UInt8]) -> Bool {
        guard let channel, let relayAddress, let protected = try? peer.protectRTCP(plain) else {
            sent.protectFailures += 1
            return false
        }
        sent.rtcpBytes += protected.count
        channel.write(AddressedEnvelope(remoteAddress: relayAddress, data: channel.allocator.buffer(bytes: protected)), promise: nil)
        return true
    }

    private func flush() {
        guard let channel else { return }
        while let (bytes, destination) = peer.pollTransmit() {
            guard let address = try? SocketAddress(ipAddress: destination.ipDescription, port: Int(destination.port))
            else { continue }
            channel.write(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
        }
        channel.flush()
    }

    fileprivate func received(_ buffer: ByteBuffer) {
        // RTP: only the clear header is read (its sequence number is what the NACKs name).
        let rtp = buffer.withUnsafeReadableBytes { raw -> (ssrc: UInt32, sequence: UInt16, payloadType: UInt8)? in
            guard raw.count >= 12, raw[0] & 0xC0 == 0x80, !(64...95).contains(raw[1] & 0x7F) else { return nil }
            let sequence = UInt16(raw[2]) << 8 | UInt16(raw[3])
            let ssrc = UInt32(raw[8]) << 24 | UInt32(raw[9]) << 16 | UInt32(raw[10]) << 8 | UInt32(raw[11])
            return (ssrc, sequence, raw[1] & 0x7F)
        }
        if let rtp {
            if videoSSRC == nil, rtp.payloadType == (peer.remotePayloadTypes["video"] ?? PeerClient.vp8PayloadType) {
                videoSSRC = rtp.ssrc
            }
            guard rtp.ssrc == videoSSRC else { return }
            if stormStarted != nil { sent.rtpReceived += 1 }
            if let highest = highestVideoSequence, Int16(bitPattern: rtp.sequence &- highest) <= 0 {
                if stormStarted != nil { sent.rtpResent += 1 }
            } else {
                highestVideoSequence = rtp.sequence
            }
            return
        }
        _ = peer.handleDatagram(Array(buffer.readableBytesView), now: .now)
        flush()
    }

    private final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let subscriber: AttackSubscriber
        init(_ subscriber: AttackSubscriber) { self.subscriber = subscriber }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            subscriber.received(Self.unwrapInboundIn(data).data)
        }
    }
}
