import Congestion
import NIOCore
import PeerClient
import RTCP
import RTP
import STUN

/// One simulated browser: its own UDP socket, a `PeerClient` (ICE, DTLS, SRTP) and what it received.
/// Confined to the tester's event loop.
final class SimulatedParticipant {
    enum Role { case publisher, viewer }

    let index: Int
    let role: Role
    let peer: PeerClient
    var channel: (any Channel)?
    var statistics = ReceiverStatistics()
    var joinStartedAt: ContinuousClock.Instant
    var publisher: MediaPublisher?
    /// Set on publishers when the run paces video like a browser.
    var pacer: VideoPacer?
    var resourceURL: String?
    var roomToken: String?
    /// The relay's SDP answer (its ICE ufrag is what a forged check would claim, `AttackFlood`).
    var answer: String?
    var account: (token: String, userID: String)?
    /// How this participant's packets carry their send time, and under which extension ids.
    var sendTime = SendTimeCarrier.privateExtension
    var extensionIDs = SendTimeCarrier.privateExtension.extensionIDs(negotiated: [:])
    /// The send times of the publisher this participant watches (or its own, for a publisher).
    var sendLog: SendTimeLog?
    /// Every `sampleEvery`-th RTP packet is fully unprotected to prove the media is intact.
    static let sampleEvery = 100
    private(set) var sampledOK = 0
    private(set) var sampledFailed = 0
    /// Set on the viewers chosen to decode everything they receive (`SampleDecoder`).
    var decoder: SampleDecoder?
    /// Offers RTX for video as browsers do (`PeerClient.makeOffer(rtx:)`).
    var offersRTX = true
    /// A publisher's answers to the relay's NACKs, set once the answer says how (RTX or plain).
    var nackResponder: NackResponder?
    /// Viewers offer the transport-wide sequence number extension and answer it with feedback, as browsers do.
    var sendsTransportFeedback = false
    /// A publisher offers these simulcast rids, low to high (`SimulcastLayer`); empty: one stream.
    var simulcastRIDs: [String] = []
    /// With simulcast, one NACK responder per layer, by the layer's SSRC (plain retransmissions: the
    /// relay learns a layer's RTX SSRC only from repaired-rtp-stream-id, which these do not carry).
    var layerResponders: [UInt32: NackResponder] = [:]
    /// Set once the answer took the extension (`ViewerTransportFeedback`).
    var transportFeedback: ViewerTransportFeedback?
    private var transportFeedbackID: UInt8?
    /// Set on viewers whose frames, picture size and freezes are followed (`ViewerQuality`); they
    /// unprotect everything and ask for repairs (NACK, PLI) like a browser.
    var quality: ViewerQuality?
    /// Its socket lives in the viewers' network namespace, behind the capped link.
    var capped = false
    /// A publisher offers transport-wide-cc and adapts its bitrate to the relay's feedback, as browsers do.
    var adaptsBitrate = false
    /// Set on a publisher once the answer took the extension (`PublisherRateControl`).
    var rateControl: PublisherRateControl?
    /// When a viewer last received RTP, and, on a viewer that rejoined after a silence, since when it has
    /// been without media (`LoadRunner+Failover.swift`).
    var lastMediaAt: ContinuousClock.Instant?
    var recoveringSince: ContinuousClock.Instant?
    /// A viewer whose socket `BatchedViewerReader` reads (`LoadRunner.Configuration.batchedReads`).
    var readInBatches = false
    /// Video bytes a publisher sent (after SRTP), retransmissions included.
    private(set) var sentVideoBytes: Int64 = 0

    init(index: Int, role: Role, peer: PeerClient, now: ContinuousClock.Instant) {
        self.index = index
        self.role = role
        self.peer = peer
        self.joinStartedAt = now
    }

    /// A browser-like offer: publishers send (declaring the send-time extension), viewers receive.
    func offer() -> String {
        guard role == .publisher else { return viewerOffer() }
        var extensions = sendTime.offeredExtensions
        if adaptsBitrate { extensions[PublisherRateControl.uri] = PublisherRateControl.offeredID }
        let offer = peer.makeOffer(
            audio: .sendonly, video: .sendonly, headerExtensions: extensions, rtx: offersRTX, simulcast: simulcastRIDs)
        return adaptsBitrate ? Self.withTransportCC(offer) : offer
    }

    /// A viewer's offer; with transport feedback, the transport-wide-cc extension and `a=rtcp-fb … transport-cc`.
    private func viewerOffer() -> String {
        var extensions = sendTime.offeredExtensions
        if sendsTransportFeedback { extensions[ViewerTransportFeedback.uri] = ViewerTransportFeedback.offeredID }
        let offer = peer.makeOffer(audio: .recvonly, video: .recvonly, headerExtensions: extensions, rtx: offersRTX)
        return sendsTransportFeedback ? Self.withTransportCC(offer) : offer
    }

    /// `a=rtcp-fb … transport-cc` for each codec, as Chromium offers them (`PeerClient.makeOffer` has no option
    /// for it yet).
    private static func withTransportCC(_ offer: String) -> String {
        var lines: [Substring] = []
        for line in offer.split(separator: "\r\n", omittingEmptySubsequences: true) {
            lines.append(line)
            if line.hasPrefix("a=rtpmap:\(PeerClient.opusPayloadType) ") || line.hasPrefix("a=rtpmap:\(PeerClient.vp8PayloadType) ") {
                let payloadType = line.dropFirst("a=rtpmap:".count).prefix { $0 != " " }
                lines.append("a=rtcp-fb:\(payloadType) transport-cc")
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// After the answer: a publisher adapts when the relay took the transport-wide-cc extension; `layers`
    /// are its video's rates, lowest first. Every packet it builds then carries the sequence number's placeholder.
    func prepareRateControl(layers: [SimulcastBitrateAllocator.Layer]) {
        guard role == .publisher, adaptsBitrate, let id = peer.extensionIDs[PublisherRateControl.uri] else { return }
        let control = PublisherRateControl(extensionID: id, layers: layers)
        rateControl = control
        publisher?.transportSequence = control.placeholder
    }

    /// Protects and sends one RTP packet of this publisher, stamped with the next transport-wide sequence
    /// number when it adapts; a video packet sent the first time is kept for NACKs.
    func sendRTP(_ packet: [UInt8], video: Bool, firstTransmission: Bool, to relay: TransportAddress, on channel: any Channel) {
        var packet = packet
        let sequenceNumber = rateControl?.stamp(&packet)
        if video && firstTransmission { sendingVideo(packet) }
        guard let protected = try? peer.protectRTP(packet) else { return }
        if let sequenceNumber { rateControl?.sent(sequenceNumber: sequenceNumber, size: protected.count) }
        if video { sentVideoBytes &+= Int64(protected.count) }
        send(protected, to: relay, on: channel)
    }

    /// Sends the padding a probe wants in one pacer tick of `interval` (`PublisherRateControl.probeBytesDue`).
    func sendProbe(in interval: Duration, to relay: TransportAddress, on channel: any Channel) {
        guard var due = rateControl?.probeBytesDue(in: interval), due > 0 else { return }
        while due > 0, rateControl?.probe != nil, var packet = publisher?.paddingPacket(),
            let sequenceNumber = rateControl?.stamp(&packet)
        {
            guard let protected = try? peer.protectRTP(packet) else { return }
            rateControl?.sent(sequenceNumber: sequenceNumber, size: protected.count, probe: true)
            send(protected, to: relay, on: channel)
            channel.flush()
            due -= protected.count
        }
    }

    /// After the answer: a viewer answers transport-wide sequence numbers when the relay took the extension.
    func prepareTransportFeedback() {
        guard role == .viewer, sendsTransportFeedback, let id = peer.extensionIDs[ViewerTransportFeedback.uri] else { return }
        transportFeedbackID = id
        transportFeedback = ViewerTransportFeedback()
    }

    /// After the answer: RTX when it accepted our RTX payload type for VP8 (we declared the FID
    /// group in the offer), the same packets again otherwise.
    func prepareNackResponder() {
        guard role == .publisher else { return }
        if !simulcastRIDs.isEmpty {
            for index in simulcastRIDs.indices {
                let ssrc = peer.simulcastSSRC(layer: index)
                layerResponders[ssrc] = NackResponder(mediaSSRC: ssrc, mode: .plain)
            }
            return
        }
        let mode: NackResponder.Mode = offersRTX
            ? peer.remoteRTXPayloadType.map { .rtx(payloadType: $0, ssrc: peer.videoRTXSSRC) } ?? .plain : .plain
        nackResponder = NackResponder(mediaSSRC: peer.videoSSRC, mode: mode)
    }

    /// A video packet about to be protected and sent the first time; kept for NACKs.
    func sendingVideo(_ packet: [UInt8]) {
        if layerResponders.isEmpty {
            nackResponder?.sent(packet)
        } else if packet.count >= 12 {
            let ssrc = UInt32(packet[8]) << 24 | UInt32(packet[9]) << 16 | UInt32(packet[10]) << 8 | UInt32(packet[11])
            layerResponders[ssrc]?.sent(packet)
        }
    }

    /// What every responder of this publisher was asked and sent.
    var repairCounts: NackResponder.Counts {
        var counts = nackResponder?.counts ?? .init()
        for responder in layerResponders.values { counts.add(responder.counts) }
        return counts
    }

    /// Handles one datagram from the relay, read at `now` and arrived at `arrival`; returns a send-time
    /// latency sample in nanoseconds if any. Reception statistics, transport feedback and latency take the
    /// arrival. RTP is read in place from the clear header; only sampled and control packets are copied out.
    func receive(
        _ buffer: ByteBuffer, now: ContinuousClock.Instant, arrival: ContinuousClock.Instant, epoch: ContinuousClock.Instant
    ) -> Int64? {
        let fastPath = buffer.withUnsafeReadableBytes { raw -> (isRTP: Bool, latency: Int64?) in
            guard Self.isRTP(raw) else { return (false, nil) }
            guard let header = try? RTPHeader(parsing: raw) else { return (true, nil) }
            statistics.record(ssrc: header.ssrc, sequenceNumber: header.sequenceNumber, bytes: raw.count, at: arrival)
            let elapsed = arrival - epoch
            let received = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            // The transport-wide sequence number is in the clear header (SRTP leaves extensions unencrypted).
            if let id = transportFeedbackID, let range = header.extensionValueRange(id: id, in: raw), range.count == 2 {
                transportFeedback?.received(
                    sequenceNumber: UInt16(raw[range.lowerBound]) << 8 | UInt16(raw[range.lowerBound + 1]),
                    microseconds: received / 1_000)
            }
            return (true, sendTime.latency(header: header, in: raw, ids: extensionIDs, log: sendLog, received: received))
        }
        if fastPath.isRTP {
            if decoder != nil || quality != nil {
                if case .rtp(let header, let packet) = peer.handleDatagram(Array(buffer.readableBytesView), now: now) {
                    sampledOK += 1
                    let video = peer.remotePayloadTypes["video"] ?? PeerClient.vp8PayloadType
                    var media: [UInt8]? = packet
                    let retransmission = peer.remoteRTXPayloadType == header.payloadType
                    if retransmission {
                        media = RTXPacket.unwrap(packet, payloadType: video, ssrc: peer.remoteSSRCs["video"] ?? 0)
                    }
                    if let media {
                        decoder?.decode(
                            media, videoPayloadType: video,
                            audioPayloadType: peer.remotePayloadTypes["audio"] ?? PeerClient.opusPayloadType, now: now)
                        if let quality, media.count > 1, media[1] & 0x7F == video {
                            quality.add(media, retransmission: retransmission, now: now)
                            askForRepairs(now: now)
                        }
                    }
                } else {
                    sampledFailed += 1
                }
            } else if statistics.packets % Int64(Self.sampleEvery) == 1 {
                let bytes = Array(buffer.readableBytesView)
                if case .rtp = peer.handleDatagram(bytes, now: now) { sampledOK += 1 } else { sampledFailed += 1 }
            }
            return fastPath.latency
        }
        let bytes = Array(buffer.readableBytesView)
        if case .rtcp(let packet) = peer.handleDatagram(bytes, now: now), let publisher {
            if let rates = rateControl?.feedback(rtcp: packet) {
                publisher.setVideoRates(rates)
            }
            if let estimate = rateControl?.estimate { pacer?.setRate(bitsPerSecond: estimate) }
            answerNacks(packet)
            // The relay asks for a keyframe for its subscribers (PLI or FIR).
            let wantsKeyframe = packet.withUnsafeBytes { raw -> Bool in
                guard let compound = try? RTCPCompoundPacket(validating: raw) else { return false }
                return compound.contains {
                    switch $0.view {
                    case .pictureLossIndication, .fullIntraRequest: true
                    default: false
                    }
                }
            }
            if wantsKeyframe { publisher.requestKeyframe() }
        }
        return nil
    }

    /// An RTP datagram read in a batch (`BatchedViewerReader`), counted from its clear header, and every
    /// `sampleEvery`-th unprotected. A batch's read time is no arrival time, so it gives no latency sample.
    func receiveBatchedRTP(_ raw: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        guard let header = try? RTPHeader(parsing: raw) else { return }
        statistics.record(ssrc: header.ssrc, sequenceNumber: header.sequenceNumber, bytes: raw.count, at: now)
        if statistics.packets % Int64(Self.sampleEvery) == 1 {
            if case .rtp = peer.handleDatagram(Array(raw), now: now) { sampledOK += 1 } else { sampledFailed += 1 }
        }
    }

    /// A version-2 first byte and a payload type that is not RTCP's (RFC 5761 §4).
    static func isRTP(_ raw: UnsafeRawBufferPointer) -> Bool {
        raw.count >= 12 && raw[0] & 0xC0 == 0x80 && !(64...95).contains(raw[1] & 0x7F)
    }

    /// A viewer's NACKs and PLIs (`ViewerQuality`) and its transport feedback, when due; protected and sent.
    func askForRepairs(now: ContinuousClock.Instant) {
        guard let channel, let relay = peer.remote, peer.isConnected else { return }
        let mediaSSRC = peer.remoteSSRCs["video"] ?? 0
        var packets: [[UInt8]] = []
        if let quality {
            let missing = quality.takeMissing(now: now)
            if !missing.isEmpty,
                let nack = try? GenericNack.build(senderSSRC: peer.videoSSRC, mediaSSRC: mediaSSRC, lostSequenceNumbers: missing)
            {
                packets.append(nack)
            }
            if quality.takeKeyframeRequest(now: now) {
                packets.append(PictureLossIndication(senderSSRC: peer.videoSSRC, mediaSSRC: mediaSSRC).build())
            }
        }
        if let feedback = transportFeedback?.poll(now: now, senderSSRC: peer.videoSSRC, mediaSSRC: mediaSSRC) {
            packets.append(feedback)
        }
        guard !packets.isEmpty else { return }
        for packet in packets {
            guard let protected = try? peer.protectRTCP(packet) else { continue }
            send(protected, to: relay, on: channel)
        }
        channel.flush()
    }

    /// Sends again what the relay's NACKs ask for (`NackResponder`), protected like any packet.
    private func answerNacks(_ rtcp: [UInt8]) {
        guard let channel, let relay = peer.remote else { return }
        var packets = nackResponder?.answer(rtcp: rtcp) ?? []
        for ssrc in Array(layerResponders.keys) { packets += layerResponders[ssrc]?.answer(rtcp: rtcp) ?? [] }
        guard !packets.isEmpty else { return }
        for packet in packets { sendRTP(packet, video: true, firstTransmission: false, to: relay, on: channel) }
        channel.flush()
    }

    /// Writes whatever the peer has queued (STUN, DTLS) to the relay.
    func flush() {
        guard let channel else { return }
        while let (bytes, destination) = peer.pollTransmit() {
            send(bytes, to: destination, on: channel)
        }
    }

    /// The relay's address, built once: every media packet goes there.
    private var relayAddress: (TransportAddress, SocketAddress)?

    func send(_ bytes: [UInt8], to destination: TransportAddress, on channel: any Channel) {
        let address: SocketAddress
        if let cached = relayAddress, cached.0 == destination {
            address = cached.1
        } else {
            address = try! SocketAddress(ipAddress: destination.ipDescription, port: Int(destination.port))
            relayAddress = (destination, address)
        }
        channel.write(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}
