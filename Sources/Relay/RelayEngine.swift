import DTLS
import ICE
import Mux
import RTCP
import RTP
import SDP
import SRTP
import STUN
import VP8

/// One worker's share of the relay: every participant and room pinned to one event loop.
///
/// Sans-IO: fed datagrams and time, it writes datagrams to a `DatagramOutput` and queues events.
/// Nothing here locks or blocks; the IO edge must call it from one thread only. The per-packet path
/// (RTP in → unprotect → fan out → protect → out) reuses one scratch buffer and allocates nothing.
public final class RelayEngine {
    public let configuration: RelayConfiguration
    public let certificate: DTLSCertificate
    public private(set) var counters = RelayCounters()

    var participants: [String: Participant] = [:]
    private var byUfrag: [String: Participant] = [:]
    private var byAddress: [TransportAddress: Participant] = [:]
    private var rooms: [String: Room] = [:]
    /// Live connections per user id and per room-token id, for `RelayLimits`.
    private var connectionsByUser: [String: Int] = [:]
    private var connectionsByToken: [String: Int] = [:]
    private var events: [RelayEvent] = []
    private var random: SystemRandomNumberGenerator
    private let scratch: UnsafeMutableRawBufferPointer
    private let ntpReference: (instant: ContinuousClock.Instant, ntp: UInt64)

    /// `ntpAtStart` is the wall clock as a 64-bit NTP timestamp at `startInstant`; sender reports
    /// derive their NTP times from it so the engine never reads the clock itself.
    public init(
        configuration: RelayConfiguration, certificate: DTLSCertificate, ntpAtStart: UInt64,
        startInstant: ContinuousClock.Instant
    ) {
        self.configuration = configuration
        self.certificate = certificate
        self.random = SystemRandomNumberGenerator()
        self.scratch = .allocate(byteCount: 2_048, alignment: 16)
        self.ntpReference = (startInstant, ntpAtStart)
    }

    deinit { scratch.deallocate() }

    /// The largest RTP datagram forwarded: the scratch buffer less the largest SRTP tag and some room.
    static let maximumMediaPacket = 1_984

    public var participantCount: Int { participants.count }
    public var roomCount: Int { rooms.count }

    public func pollEvent() -> RelayEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    // MARK: - Signaling

    public struct JoinRequest: Sendable {
        public enum Intent: Sendable, Equatable {
            case publish
            /// Watch a user's tracks; nil watches the room's host.
            case subscribe(userID: String?)
        }

        public var roomID: String
        public var userID: String
        public var role: ParticipantIdentity.Role
        public var intent: Intent
        public var offer: String
        /// The room's capacity from the token; nil uses the configured default.
        public var roomCapacity: Int?
        /// The room token's id (`jti`): connections made with one token are bounded.
        public var tokenID: String?

        public init(
            roomID: String, userID: String, role: ParticipantIdentity.Role, intent: Intent, offer: String,
            roomCapacity: Int? = nil, tokenID: String? = nil
        ) {
            self.roomID = roomID
            self.userID = userID
            self.role = role
            self.intent = intent
            self.offer = offer
            self.roomCapacity = roomCapacity
            self.tokenID = tokenID
        }
    }

    public struct JoinResult: Sendable {
        public var participantID: String
        public var answer: String
    }

    /// An offer parsed and answered away from the media event loop: a hostile 64 KB offer costs the
    /// signaling thread, never every room on the worker.
    public struct PreparedJoin: Sendable {
        let request: JoinRequest
        let localUfrag: String
        let localPassword: String
        let remoteUfrag: String
        let remoteFingerprint: DTLSFingerprint
        let media: [NegotiatedMedia]
        public let answer: String
    }

    /// Parses and negotiates an offer. Pure: call it on any thread, then `join(_:now:)` on the engine's.
    public static func prepare(
        _ request: JoinRequest, configuration: RelayConfiguration, fingerprint: DTLSFingerprint
    ) throws(RelayError) -> PreparedJoin {
        let limit = configuration.limits.mediaSectionsPerOffer
        // Counted on the raw text first, so an offer of thousands of m-lines is refused before parsing.
        let sections = mediaLineCount(request.offer)
        guard sections <= limit else {
            throw .invalidOffer("the offer has \(sections) m-lines; the relay accepts at most \(limit)")
        }
        let offer: SessionDescription
        do {
            offer = try SessionDescription(parsing: request.offer)
        } catch {
            throw .invalidOffer("SDP: \(error)")
        }
        var random = SystemRandomNumberGenerator()
        let ufrag = randomToken(length: 8, using: &random)
        var negotiator = OfferNegotiator(
            localUfrag: ufrag, localPassword: randomToken(length: 24, using: &random), localFingerprint: fingerprint,
            candidates: configuration.announcedAddresses.map { ($0, configuration.port) },
            cname: randomToken(length: 16, using: &random),
            makeSSRC: { var random = SystemRandomNumberGenerator(); return randomSSRC(using: &random) })
        negotiator.maximumMediaSections = limit
        let result = try negotiator.negotiate(offer, intent: request.intent == .publish ? .publish : .subscribe)
        return PreparedJoin(
            request: request, localUfrag: ufrag, localPassword: negotiator.localPassword,
            remoteUfrag: result.remoteUfrag, remoteFingerprint: result.remoteFingerprint, media: result.media,
            answer: result.answer.serialized())
    }

    /// Negotiates a participant's offer and adds them to the room; media flows once ICE and DTLS
    /// complete on the UDP port.
    public func join(_ request: JoinRequest, now: ContinuousClock.Instant) throws(RelayError) -> JoinResult {
        try join(Self.prepare(request, configuration: configuration, fingerprint: certificate.fingerprint), now: now)
    }

    /// Adds a participant whose offer `prepare` answered, after the room's and the relay's limits.
    public func join(_ prepared: PreparedJoin, now: ContinuousClock.Instant) throws(RelayError) -> JoinResult {
        let request = prepared.request
        let limits = configuration.limits
        guard participants.count < limits.participantsPerWorker else {
            throw .relayFull("this relay worker holds its maximum of \(limits.participantsPerWorker) participants")
        }
        guard rooms[request.roomID] != nil || rooms.count < limits.roomsPerWorker else {
            throw .relayFull("this relay worker holds its maximum of \(limits.roomsPerWorker) rooms")
        }
        if connectionsByUser[request.userID, default: 0] >= limits.connectionsPerUser {
            throw .tooManyConnections("this user already has \(limits.connectionsPerUser) connections to the relay")
        }
        if let token = request.tokenID, connectionsByToken[token, default: 0] >= limits.connectionsPerToken {
            throw .tooManyConnections("this room token already made \(limits.connectionsPerToken) connections")
        }
        let room = rooms[request.roomID] ?? Room(id: request.roomID)
        let capacity = request.roomCapacity ?? configuration.defaultRoomCapacity
        let distinctUsers = Set(room.participants.map(\.identity.userID))
        if !distinctUsers.contains(request.userID) && distinctUsers.count >= capacity { throw .roomFull }

        let dtls: DTLSConnection
        do {
            var dtlsConfiguration = DTLSConnection.Configuration(
                role: .server, certificate: certificate, remoteFingerprint: prepared.remoteFingerprint)
            dtlsConfiguration.handshakeTimeout = configuration.connectTimeout
            dtls = try DTLSConnection(configuration: dtlsConfiguration)
        } catch {
            throw .internalFailure("DTLS: \(error)")
        }
        let ice = ICELiteAgent(
            configuration: ICELiteConfiguration(
                localUfrag: prepared.localUfrag, localPassword: prepared.localPassword,
                remoteUfrag: prepared.remoteUfrag, consentTimeout: configuration.consentTimeout,
                software: "PeerLearn Relay"))
        var watching: String?
        if case .subscribe(let userID) = request.intent { watching = userID }
        let identity = ParticipantIdentity(
            participantID: Self.randomToken(length: 20, using: &random), roomID: request.roomID,
            userID: request.userID, role: request.role)
        let participant = Participant(
            identity: identity, tokenID: request.tokenID, ice: ice, dtls: dtls, watching: watching,
            relaySSRC: Self.randomSSRC(using: &random), now: now)

        for media in prepared.media {
            switch media.flow {
            case .publish:
                participant.published.append(PublishedTrack(publisher: participant, media: media))
            case .subscribe:
                participant.legs.append(
                    DownstreamLeg(
                        subscriber: participant, media: media, initialSequence: UInt16.random(in: 0...0x7FFF),
                        initialTimestamp: UInt32.random(in: 0...UInt32.max), limits: limits))
            }
        }
        participants[identity.participantID] = participant
        byUfrag[prepared.localUfrag] = participant
        connectionsByUser[request.userID, default: 0] += 1
        if let token = request.tokenID { connectionsByToken[token, default: 0] += 1 }
        rooms[request.roomID] = room
        room.participants.append(participant)
        room.connect(participant)
        return JoinResult(participantID: identity.participantID, answer: prepared.answer)
    }

    /// Who a participant is, for authorizing a DELETE: nil when there is no such participant.
    public func identity(participantID: String) -> ParticipantIdentity? {
        participants[participantID]?.identity
    }

    /// Removes a participant (WHIP/WHEP DELETE, or the room closing).
    public func leave(participantID: String, now: ContinuousClock.Instant, output: inout some DatagramOutput)
        throws(RelayError)
    {
        guard let participant = participants[participantID] else { throw .unknownParticipant }
        remove(participant, reason: .requested, now: now, output: &output)
    }

    /// Ends every participant: graceful shutdown sends DTLS close_notify and records who left.
    public func shutdown(now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        for participant in Array(participants.values) {
            remove(participant, reason: .shutdown, now: now, output: &output)
        }
    }

    public func statistics(participantID: String, now: ContinuousClock.Instant) -> ParticipantStatistics? {
        participants[participantID]?.snapshot(now: now)
    }

    // MARK: - Datagrams

    public func handleDatagram(
        _ packet: UnsafeMutableRawBufferPointer, from source: TransportAddress, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        counters.datagramsIn &+= 1
        counters.bytesIn &+= UInt64(packet.count)
        let bytes = UnsafeRawBufferPointer(packet)
        switch PacketClass.classify(bytes) {
        case .stun:
            handleSTUN(bytes, from: source, now: now, output: &output)
        case .dtls:
            guard let participant = byAddress[source] else { return counters.drop(.unknownSource) }
            participant.dtls.handleDatagram(bytes, now: now)
            drainDTLS(participant, now: now, output: &output)
        case .rtp:
            guard let participant = byAddress[source] else { return counters.drop(.unknownSource) }
            handleRTP(packet, from: participant, now: now, output: &output)
        case .rtcp:
            guard let participant = byAddress[source] else { return counters.drop(.unknownSource) }
            handleRTCP(packet, from: participant, now: now, output: &output)
        default:
            counters.drop(.unknownProtocol)
        }
    }

    private func handleSTUN(
        _ bytes: UnsafeRawBufferPointer, from source: TransportAddress, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        guard let message = try? STUNMessage(parsing: bytes), let username = message.usernameBytes(in: bytes),
            let colon = username.firstIndex(of: UInt8(ascii: ":")),
            let participant = byUfrag[String(decoding: UnsafeRawBufferPointer(rebasing: username[..<colon]), as: UTF8.self)]
        else { return counters.drop(.malformedSTUN) }
        let address = source.canonicalized
        // Another participant's address is never taken over, whatever credentials the check carries.
        if let owner = byAddress[address], owner !== participant { return counters.drop(.addressInUse) }
        let outcome = participant.ice.handle(bytes, from: source, now: now)
        switch outcome {
        case .accepted(let response, let event):
            if participant.knownAddresses.insert(address).inserted {
                byAddress[address] = participant
                forgetStaleAddresses(of: participant)
            }
            send(response, to: source, output: &output)
            switch event {
            case .pairSelected(let remote)?, .selectedPairChanged(_, let remote)?:
                participant.remote = remote
            default:
                break
            }
        case .rejected(let response, _):
            counters.drop(.rejectedSTUN)
            // Forged checks carry a ufrag seen on the wire and any source address: answering each would
            // make the relay a reflector, so error responses are rationed per participant.
            let second = nanoseconds(since: now) / 1_000_000_000
            if participant.errorResponses.second != second { participant.errorResponses = (second, 0) }
            guard participant.errorResponses.count < configuration.limits.stunErrorResponsesPerSecond else { return }
            participant.errorResponses.count += 1
            send(response, to: source, output: &output)
        case .dropped:
            counters.drop(.rejectedSTUN)
        }
    }

    /// Keeps a participant's routable addresses to the ICE agent's bounded pairs, so a peer checking from
    /// ever new ports cannot grow the address table.
    private func forgetStaleAddresses(of participant: Participant) {
        guard participant.knownAddresses.count > participant.ice.pairs.count else { return }
        for address in participant.knownAddresses where !participant.ice.pairs.contains(where: { $0.remote == address }) {
            participant.knownAddresses.remove(address)
            if byAddress[address] === participant { byAddress[address] = nil }
        }
    }

    private func drainDTLS(_ participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        while let datagram = participant.dtls.pollTransmit() {
            if let remote = participant.remote ?? participant.knownAddresses.first {
                send(datagram, to: remote, output: &output)
            }
        }
        while let event = participant.dtls.pollEvent() {
            switch event {
            case .connected(let keys):
                guard let profile = SRTPProfile(rawValue: keys.profileID),
                    let inbound = try? SRTPContext(
                        profile: profile, direction: .inbound, masterKey: keys.remoteMasterKey,
                        masterSalt: keys.remoteMasterSalt),
                    let outbound = try? SRTPContext(
                        profile: profile, direction: .outbound, masterKey: keys.localMasterKey,
                        masterSalt: keys.localMasterSalt, allowRepeatTransmission: true)
                else {
                    counters.dtlsFailures &+= 1
                    remove(participant, reason: .connectFailed, now: now, output: &output)
                    return
                }
                participant.inbound = inbound
                participant.outbound = outbound
                participant.connectedAt = now
                events.append(.joined(participant.identity))
                // A new subscriber needs a keyframe to start decoding (issue: late joiners).
                for leg in participant.legs { leg.source.map { requestKeyframe($0, now: now, output: &output) } }
            case .failed:
                counters.dtlsFailures &+= 1
                remove(participant, reason: .connectFailed, now: now, output: &output)
                return
            case .closed:
                remove(participant, reason: .closedByPeer, now: now, output: &output)
                return
            }
        }
    }

    // MARK: - RTP forwarding (the hot path)

    private func handleRTP(
        _ packet: UnsafeMutableRawBufferPointer, from publisher: Participant, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        guard let inbound = publisher.inbound else { return counters.drop(.notConnected) }
        // Forwarding rewrites into the 2 KiB scratch buffer, plus the SRTP tag; no WebRTC stack sends
        // packets near that size (they stay under the path MTU).
        guard packet.count <= Self.maximumMediaPacket else { return counters.drop(.oversized) }
        // The SSRC and payload type are in the clear: an SSRC no track can take is dropped before SRTP,
        // which would otherwise keep replay state for every SSRC a peer invents.
        guard packet.count >= 12,
            publisher.mayPublish(ssrc: Self.readUInt32(packet, at: 8), payloadType: packet[1] & 0x7F)
        else { return counters.drop(.unknownSSRC) }
        let length: Int
        do {
            length = try inbound.unprotectRTP(packet, length: packet.count)
        } catch {
            return counters.drop(error == .replayed ? .srtpReplay : .srtpAuthentication)
        }
        let plain = UnsafeMutableRawBufferPointer(rebasing: packet[0..<length])
        guard let header = try? RTPHeader(parsing: UnsafeRawBufferPointer(plain)) else {
            return counters.drop(.malformedRTP)
        }
        guard let track = publisher.track(ssrc: header.ssrc, payloadType: header.payloadType),
            header.payloadType == track.media.payloadType
        else {
            if publisher.track(ssrc: header.ssrc, payloadType: header.payloadType) == nil {
                _ = inbound.removeStream(ssrc: header.ssrc)
            }
            return counters.drop(.unknownSSRC)
        }
        publisher.statistics.packetsIn &+= 1
        publisher.statistics.bytesIn &+= UInt64(packet.count)
        track.statistics.record(
            sequenceNumber: header.sequenceNumber, timestamp: header.timestamp,
            payloadBytes: header.payloadRange.count, arrivalNanoseconds: nanoseconds(since: now))
        track.history?.store(UnsafeRawBufferPointer(plain), sequenceNumber: header.sequenceNumber)

        var startsKeyframe = track.media.kind == .audio
        if !startsKeyframe, let payload = try? VP8RTPPayload(
            parsing: UnsafeRawBufferPointer(rebasing: plain[header.payloadRange]))
        {
            startsKeyframe = payload.isKeyframe
        }
        for leg in track.legs {
            if leg.needsRestart {
                guard startsKeyframe else { continue }
                leg.restart(sequenceNumber: header.sequenceNumber, timestamp: header.timestamp, now: now)
            }
            forward(UnsafeRawBufferPointer(plain), header: header, on: leg, now: now, output: &output)
        }
    }

    /// Rewrites one decrypted packet into the leg's numbering, protects it for the subscriber and sends it.
    private func forward(
        _ plain: UnsafeRawBufferPointer, header: RTPHeader, on leg: DownstreamLeg, now: ContinuousClock.Instant,
        retransmission: Bool = false, output: inout some DatagramOutput
    ) {
        let subscriber = leg.subscriber
        guard let outbound = subscriber.outbound, let remote = subscriber.remote else { return }
        let out = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<plain.count])
        out.copyMemory(from: plain)
        guard let rewriter = RTPPacketRewriter(out) else { return }
        let sequenceNumber = header.sequenceNumber &+ leg.sequenceDelta
        let timestamp = header.timestamp &+ leg.timestampDelta
        rewriter.ssrc = leg.media.localSSRC
        rewriter.sequenceNumber = sequenceNumber
        rewriter.timestamp = timestamp
        if leg.media.payloadType != header.payloadType { rewriter.payloadType = leg.media.payloadType }
        guard let protected = try? outbound.protectRTP(scratch, length: plain.count) else { return }
        if RTPSequenceNumber.isNewer(sequenceNumber, than: leg.lastSequenceNumber) || leg.packetsSent == 0 {
            leg.lastSequenceNumber = sequenceNumber
            leg.lastTimestamp = timestamp
            leg.lastSentAt = now
        }
        leg.packetsSent &+= 1
        leg.octetsSent &+= UInt32(truncatingIfNeeded: header.payloadRange.count)
        if !retransmission { leg.mediaBytesSent &+= UInt64(protected) }
        subscriber.statistics.packetsOut &+= 1
        subscriber.statistics.bytesOut &+= UInt64(protected)
        counters.rtpForwarded &+= 1
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }

    // MARK: - RTCP (terminated per leg, RFC 7667 §3.7)

    private func handleRTCP(
        _ packet: UnsafeMutableRawBufferPointer, from participant: Participant, now: ContinuousClock.Instant,
        output: inout some DatagramOutput
    ) {
        guard let inbound = participant.inbound else { return counters.drop(.notConnected) }
        guard packet.count >= 8 else { return counters.drop(.malformedRTCP) }
        let sender = Self.readUInt32(packet, at: 4)
        guard participant.mayReport(from: sender, limit: configuration.limits.rtcpSendersPerParticipant) else {
            return counters.drop(.unknownSSRC)
        }
        let length: Int
        do {
            length = try inbound.unprotectRTCP(packet, length: packet.count)
        } catch {
            return counters.drop(error == .replayed ? .srtpReplay : .srtpAuthentication)
        }
        participant.recordReporter(sender)
        participant.statistics.packetsIn &+= 1
        participant.statistics.bytesIn &+= UInt64(packet.count)
        guard let compound = try? RTCPCompoundPacket(validating: UnsafeRawBufferPointer(rebasing: packet[0..<length]))
        else { return counters.drop(.malformedRTCP) }
        for item in compound {
            switch item.view {
            case .senderReport(let report):
                for track in participant.published where track.ssrc == report.ssrc {
                    track.lastSenderReport = (UInt32(truncatingIfNeeded: report.senderInfo.ntpTimestamp >> 16), now)
                }
            case .receiverReport(let report):
                for block in report.reportBlocks {
                    guard let leg = participant.leg(localSSRC: block.ssrc) else { continue }
                    leg.reportedFractionLost = block.fractionLost
                    leg.reportedJitter = block.jitter
                    if block.lastSenderReport != 0 {
                        leg.roundTripTime = roundTrip(
                            lastSenderReport: block.lastSenderReport, delay: block.delaySinceLastSenderReport, now: now)
                    }
                }
            case .pictureLossIndication(let pli):
                if let source = participant.leg(localSSRC: pli.mediaSSRC)?.source {
                    requestKeyframe(source, now: now, output: &output)
                }
            case .fullIntraRequest(let fir):
                for entry in fir.entries {
                    if let source = participant.leg(localSSRC: entry.ssrc)?.source {
                        requestKeyframe(source, now: now, output: &output)
                    }
                }
            case .genericNack(let nack):
                guard let leg = participant.leg(localSSRC: nack.mediaSSRC) else { continue }
                answer(nack, on: leg, now: now, output: &output)
            case .malformed:
                counters.drop(.malformedRTCP)
            default:
                break
            }
        }
    }

    /// Resends what a subscriber NACKed from the track's history, as its `NackResponder` allows. Stops at
    /// the first packet over budget: the rest of the NACK costs nothing.
    private func answer(
        _ nack: GenericNack, on leg: DownstreamLeg, now: ContinuousClock.Instant, output: inout some DatagramOutput
    ) {
        guard leg.nack != nil, let history = leg.source?.history else {
            return counters.refuse(.notNegotiated)
        }
        let window = leg.roundTripTime.map { min(max($0, .milliseconds(20)), .milliseconds(500)) }
            ?? configuration.limits.retransmissionWindow
        let windowNanoseconds = window.components.seconds * 1_000_000_000 + window.components.attoseconds / 1_000_000_000
        let clock = nanoseconds(since: now)
        for pair in nack.pairs {
            for lost in pair.lostSequenceNumbers {
                guard let stored = history.packet(sequenceNumber: lost &- leg.sequenceDelta),
                    let header = try? RTPHeader(parsing: stored)
                else {
                    counters.refuse(.notBuffered)
                    continue
                }
                switch leg.nack!.admit(
                    sequenceNumber: lost, bytes: stored.count, now: clock, window: windowNanoseconds,
                    mediaBytesSent: leg.mediaBytesSent)
                {
                case .resend:
                    counters.retransmissions &+= 1
                    forward(stored, header: header, on: leg, now: now, retransmission: true, output: &output)
                case .duplicate:
                    counters.refuse(.duplicate)
                case .overBudget:
                    counters.refuse(.overBudget)
                    return
                }
            }
        }
    }

    /// Asks the publisher for a keyframe, at most once per interval however many subscribers ask;
    /// a request inside the interval is remembered and sent when it ends.
    private func requestKeyframe(_ track: PublishedTrack, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard track.media.kind == .video else { return }
        if let last = track.lastKeyframeRequest, now - last < configuration.keyframeRequestInterval {
            track.keyframeRequestPending = true
            return
        }
        let publisher = track.publisher
        guard let ssrc = track.ssrc, let outbound = publisher.outbound, let remote = publisher.remote else {
            track.keyframeRequestPending = true
            return
        }
        track.lastKeyframeRequest = now
        track.keyframeRequestPending = false
        guard let length = try? PictureLossIndication(senderSSRC: publisher.relaySSRC, mediaSSRC: ssrc).write(into: scratch),
            let protected = try? outbound.protectRTCP(scratch, length: length)
        else { return }
        counters.keyframeRequests &+= 1
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }

    // MARK: - Time

    /// Drives retransmission and consent timers, periodic RTCP reports and statistics. Call every few
    /// milliseconds (the edge uses 10 ms).
    public func handleTimeout(now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        for participant in Array(participants.values) {
            if let deadline = participant.dtls.pollTimeout(), deadline <= now {
                participant.dtls.handleTimeout(now: now)
                drainDTLS(participant, now: now, output: &output)
                guard participants[participant.identity.participantID] != nil else { continue }
            }
            // DTLS can finish over any checked address; without a nominated pair no media is ever sent,
            // so such a participant times out like one that never connected.
            if !participant.isConnected || participant.remote == nil {
                if now - participant.joinedAt > configuration.connectTimeout {
                    remove(participant, reason: .connectFailed, now: now, output: &output)
                }
                if !participant.isConnected { continue }
            }
            guard participants[participant.identity.participantID] != nil else { continue }
            while let event = participant.ice.poll(now: now) {
                if case .consentExpired = event {
                    remove(participant, reason: .consentExpired, now: now, output: &output)
                    break
                }
            }
            guard participants[participant.identity.participantID] != nil else { continue }
            for track in participant.published where track.keyframeRequestPending {
                requestKeyframe(track, now: now, output: &output)
            }
            if now >= participant.nextReportAt {
                participant.nextReportAt = now + configuration.reportInterval
                sendReports(to: participant, now: now, output: &output)
            }
            if now >= participant.nextStatisticsAt {
                participant.nextStatisticsAt = now + configuration.statisticsInterval
                events.append(.statistics(participant.identity, participant.snapshot(now: now)))
            }
        }
    }

    /// Receiver reports (+ REMB) to a publisher about its tracks, sender reports to a subscriber about
    /// the legs the relay sends it (RFC 3550 §6.4).
    private func sendReports(to participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        guard let outbound = participant.outbound, let remote = participant.remote else { return }
        var length = 0
        let blocks = participant.published.compactMap { track -> ReportBlock? in
            guard let ssrc = track.ssrc, let highest = track.statistics.highestSequence else { return nil }
            var lsr: UInt32 = 0
            var dlsr: UInt32 = 0
            if let sr = track.lastSenderReport {
                lsr = sr.ntpMiddle
                dlsr = UInt32(truncatingIfNeeded: Int64(Participant.seconds(now - sr.arrival) * 65_536))
            }
            return ReportBlock(
                ssrc: ssrc, fractionLost: track.statistics.takeFractionLost(),
                cumulativeLost: Int32(clamping: track.statistics.cumulativeLost),
                extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: highest),
                jitter: UInt32(clamping: Int(track.statistics.jitter)), lastSenderReport: lsr,
                delaySinceLastSenderReport: dlsr)
        }
        if !participant.published.isEmpty {
            guard let written = try? ReceiverReport.write(
                ssrc: participant.relaySSRC, reportBlocks: blocks, into: scratch)
            else { return }
            length += written
            let video = participant.published.compactMap { $0.media.kind == .video ? $0.ssrc : nil }
            if !video.isEmpty, let remb = try? ReceiverEstimatedMaxBitrate.write(
                senderSSRC: participant.relaySSRC, bitrate: configuration.maximumVideoBitrate, ssrcs: video,
                into: UnsafeMutableRawBufferPointer(rebasing: scratch[length...]))
            {
                length += remb
            }
        }
        let ntp = ntpTime(now)
        for leg in participant.legs where leg.packetsSent > 0 {
            var rtpTimestamp = leg.lastTimestamp
            if let sentAt = leg.lastSentAt {
                rtpTimestamp &+= UInt32(truncatingIfNeeded: Int64(Participant.seconds(now - sentAt) * Double(leg.media.clockRate)))
            }
            guard length + 28 + 16 < scratch.count,
                let written = try? SenderReport.write(
                    ssrc: leg.media.localSSRC,
                    senderInfo: SenderInfo(
                        ntpTimestamp: ntp, rtpTimestamp: rtpTimestamp, packetCount: leg.packetsSent,
                        octetCount: leg.octetsSent),
                    reportBlocks: [ReportBlock](), into: UnsafeMutableRawBufferPointer(rebasing: scratch[length...]))
            else { break }
            length += written
        }
        guard length > 0, let protected = try? outbound.protectRTCP(scratch, length: length) else { return }
        send(UnsafeRawBufferPointer(rebasing: scratch[0..<protected]), to: remote, output: &output)
    }

    // MARK: - Membership

    private func remove(
        _ participant: Participant, reason: LeaveReason, now: ContinuousClock.Instant, output: inout some DatagramOutput
    ) {
        let id = participant.identity.participantID
        guard participants.removeValue(forKey: id) != nil else { return }
        if participant.isConnected {
            participant.dtls.close()
            while let datagram = participant.dtls.pollTransmit() {
                if let remote = participant.remote { send(datagram, to: remote, output: &output) }
            }
        }
        byUfrag[participant.ice.configuration.localUfrag] = nil
        Self.release(participant.identity.userID, from: &connectionsByUser)
        if let token = participant.tokenID { Self.release(token, from: &connectionsByToken) }
        for address in participant.knownAddresses where byAddress[address] === participant {
            byAddress[address] = nil
        }
        if let room = rooms[participant.identity.roomID] {
            room.disconnect(participant)
            if room.participants.isEmpty { rooms[room.id] = nil }
        }
        // Only someone who completed DTLS was in the room; attendance ignores failed attempts.
        if participant.connectedAt != nil {
            events.append(.left(participant.identity, participant.snapshot(now: now), reason))
        }
    }

    // MARK: - Helpers

    private func send(_ bytes: [UInt8], to destination: TransportAddress, output: inout some DatagramOutput) {
        bytes.withUnsafeBytes { send($0, to: destination, output: &output) }
    }

    private func send(_ bytes: UnsafeRawBufferPointer, to destination: TransportAddress, output: inout some DatagramOutput) {
        counters.datagramsOut &+= 1
        counters.bytesOut &+= UInt64(bytes.count)
        output.send(bytes, to: destination)
    }

    private func nanoseconds(since now: ContinuousClock.Instant) -> Int64 {
        let elapsed = now - ntpReference.instant
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    private func ntpTime(_ now: ContinuousClock.Instant) -> UInt64 {
        let nanos = UInt64(max(0, nanoseconds(since: now)))
        let seconds = nanos / 1_000_000_000
        let fraction = ((nanos % 1_000_000_000) << 32) / 1_000_000_000
        return ntpReference.ntp &+ (seconds << 32) &+ fraction
    }

    private static func release(_ key: String, from counts: inout [String: Int]) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }

    /// RFC 3550 §6.4.1: RTT = A - LSR - DLSR in 1/65536 s; nil when the report is not plausible.
    private func roundTrip(lastSenderReport: UInt32, delay: UInt32, now: ContinuousClock.Instant) -> Duration? {
        let arrival = UInt32(truncatingIfNeeded: ntpTime(now) >> 16)
        let rtt = arrival &- lastSenderReport &- delay
        guard rtt < 10 * 65_536 else { return nil }
        return .nanoseconds(Int64(rtt) * 1_000_000_000 / 65_536)
    }

    private static func readUInt32(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    /// `m=` lines in raw SDP text, without parsing it.
    static func mediaLineCount(_ text: String) -> Int {
        enum State { case lineStart, sawM, elsewhere }
        var count = 0
        var state = State.lineStart
        for byte in text.utf8 {
            switch (state, byte) {
            case (.sawM, UInt8(ascii: "=")): count += 1; state = .elsewhere
            case (_, UInt8(ascii: "\n")): state = .lineStart
            case (.lineStart, UInt8(ascii: "m")): state = .sawM
            default: state = .elsewhere
            }
        }
        return count
    }

    private static func randomSSRC(using random: inout some RandomNumberGenerator) -> UInt32 {
        UInt32.random(in: 1...UInt32.max, using: &random)
    }

    private static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// ICE credentials need ≥ 24 bits (ufrag) and ≥ 128 bits (password) of randomness (RFC 8839 §5.4).
    private static func randomToken(length: Int, using random: inout some RandomNumberGenerator) -> String {
        String(decoding: (0..<length).map { _ in tokenAlphabet[Int.random(in: 0..<tokenAlphabet.count, using: &random)] },
            as: UTF8.self)
    }
}
