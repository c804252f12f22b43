import DTLS
import Mux
import STUN

/// One worker's share of the relay: every participant and room pinned to one event loop.
///
/// Sans-IO, with the shape of every protocol machine in this package: `handleDatagram` and
/// `handleTimeout` take bytes and time, datagrams go to the caller's `DatagramOutput`, `pollEvent`
/// gives what happened and `pollTimeout` when to call again. The clock and the random source are
/// injected. Nothing here locks or blocks; the IO edge must call it from one thread only. The
/// per-packet path (RTP in → unprotect → fan out → protect → out) reuses one scratch buffer and
/// allocates nothing.
///
/// The work is split by concern: `Router/` (who is where), `Transport/` (ICE, DTLS, SRTP),
/// `Forwarding/` (producers, consumers, the RTP path), `Feedback/` (PLI/FIR, NACK, reports) and
/// `Negotiation/` (SDP offers and answers).
public final class RelayEngine {
    public let configuration: RelayConfiguration
    public let certificate: DTLSCertificate
    public internal(set) var counters = RelayCounters()

    let router: Router
    let clock: EngineClock
    var random: any RandomNumberGenerator
    var events: [RelayEvent] = []
    var roomEvents: [RoomEvent] = []
    /// Joins that reached their first media packet or ended before it, for traces; one per participant.
    var joinTimelines: [JoinTimeline] = []
    var timers = DeadlineQueue()
    let scratch: UnsafeMutableRawBufferPointer
    /// Where a retransmission is wrapped as RTX, next to the rewritten packet in `scratch`.
    let rtxScratch: UnsafeMutableRawBufferPointer
    /// Packets waiting in the legs' pacers; allocated when a pacer first has to hold one.
    lazy var packetPool = PacketPool()

    /// `ntpAtStart` is the wall clock as a 64-bit NTP timestamp at `startInstant`; sender reports
    /// derive their NTP times from it so the engine never reads the clock itself.
    public init(
        configuration: RelayConfiguration, certificate: DTLSCertificate, ntpAtStart: UInt64,
        startInstant: ContinuousClock.Instant, random: any RandomNumberGenerator = SystemRandomNumberGenerator()
    ) {
        self.configuration = configuration
        self.certificate = certificate
        self.router = Router(limits: configuration.limits)
        self.clock = EngineClock(start: startInstant, ntpAtStart: ntpAtStart)
        self.random = random
        self.scratch = .allocate(byteCount: 2_048, alignment: 16)
        self.rtxScratch = .allocate(byteCount: 2_048, alignment: 16)
    }

    deinit {
        scratch.deallocate()
        rtxScratch.deallocate()
    }

    /// The largest RTP datagram forwarded: the scratch buffer less the largest SRTP tag and some room.
    static let maximumMediaPacket = 1_984

    public var participantCount: Int { router.participants.count }
    public var roomCount: Int { router.rooms.count }

    public func pollEvent() -> RelayEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// A join that just reached its first media packet, or ended without, phase by phase (`JoinTimeline`).
    public func pollJoinTimeline() -> JoinTimeline? {
        joinTimelines.isEmpty ? nil : joinTimelines.removeFirst()
    }

    /// Room-level happenings for the room sockets (the dominant speaker).
    public func pollRoomEvent() -> RoomEvent? {
        roomEvents.isEmpty ? nil : roomEvents.removeFirst()
    }

    /// When `handleTimeout` next has work: DTLS retransmission, a connect or consent deadline, reports,
    /// statistics, a postponed keyframe request. Nil when nothing is scheduled.
    public func pollTimeout() -> ContinuousClock.Instant? {
        timers.earliest
    }

    /// Who a participant is, for authorizing a DELETE: nil when there is no such participant.
    public func identity(participantID: String) -> ParticipantIdentity? {
        router.participant(id: participantID)?.identity
    }

    public func statistics(participantID: String, now: ContinuousClock.Instant) -> ParticipantStatistics? {
        router.participant(id: participantID)?.snapshot(now: now)
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
            handleCheck(bytes, from: source, now: now, output: &output)
        case .dtls:
            guard let participant = router.participant(at: source) else { return counters.drop(.unknownSource) }
            handleDTLS(bytes, of: participant, now: now, output: &output)
        case .rtp:
            guard let participant = router.participant(at: source) else { return counters.drop(.unknownSource) }
            handleRTP(packet, from: participant, now: now, output: &output)
        case .rtcp:
            guard let participant = router.participant(at: source) else { return counters.drop(.unknownSource) }
            handleRTCP(packet, from: participant, now: now, output: &output)
        default:
            counters.drop(.unknownProtocol)
        }
    }

    // MARK: - Time

    /// Runs the timers that are due: only participants with a deadline at or before `now` are visited.
    public func handleTimeout(now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        while let due = timers.popDue(now: now) {
            guard let participant = router.participant(id: due.id), participant.scheduledAt == due.deadline else {
                continue
            }
            participant.scheduledAt = nil
            runTimers(of: participant, now: now, output: &output)
            // A deadline that is still due after its timers ran would spin this loop (and the event loop
            // with it): it waits for the next tick instead.
            if router.participant(id: due.id) != nil { schedule(participant, notBefore: now + Self.minimumTick) }
        }
    }

    /// Half of `grid` in nanoseconds: how early an aligned deadline can come.
    static func halfGrid(_ grid: Duration) -> Int64 {
        EngineClock.nanoseconds(of: grid) / 2
    }

    /// The shortest wait between two visits of one participant's timers.
    static let minimumTick: Duration = .milliseconds(5)

    private func runTimers(of participant: Participant, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        if let dtls = participant.transport.dtls, let deadline = dtls.pollTimeout(), deadline <= now {
            dtls.handleTimeout(now: now)
            drainDTLS(participant, now: now, output: &output)
            guard router.participant(id: participant.identity.participantID) != nil else { return }
        }
        // DTLS can finish over any checked address; without a nominated pair no media is ever sent, so such
        // a participant times out like one that never connected.
        if !participant.isConnected || participant.transport.remote == nil {
            if let since = participant.connectingSince, now - since >= configuration.connectTimeout {
                return remove(participant, reason: .connectFailed, now: now, output: &output)
            }
            if !participant.isConnected { return }
        }
        if participant.transport.consentExpired(now: now) {
            return remove(participant, reason: .consentExpired, now: now, output: &output)
        }
        // Feedback is visited at the grid instant nearest its due time (`nextDeadline`), which may be up to
        // half a grid before it: reporting what arrived so far a little early is what a shared phase costs.
        if let due = participant.transportFeedback?.pollTimeout(),
            due <= clock.nanoseconds(since: now) &+ Self.halfGrid(configuration.feedbackAlignment)
        {
            sendTransportFeedback(to: participant, now: now, output: &output)
        }
        drainPacer(of: participant, now: now, output: &output)
        if participant.bandwidth != nil { runProbe(of: participant, now: now, output: &output) }
        for producer in participant.producers {
            if let due = producer.keyFrames.deadline(interval: configuration.keyframeRequestInterval), due <= now {
                requestKeyframe(producer, now: now, output: &output)
            }
            if let due = producer.nacks?.pollTimeout(), due <= clock.nanoseconds(since: now) {
                sendNacks(for: producer, now: now, output: &output)
            }
        }
        reviewSimulcast(of: participant, now: now, output: &output)
        if now >= participant.nextReportAt {
            participant.nextReportAt = clock.aligned(now + configuration.reportInterval, to: configuration.periodicAlignment)
            sendReports(to: participant, now: now, output: &output)
        }
        if now >= participant.nextStatisticsAt {
            participant.nextStatisticsAt = clock.aligned(
                now + configuration.statisticsInterval, to: configuration.periodicAlignment)
            if !participant.isRelayed {
                events.append(.statistics(participant.identity, participant.snapshot(now: now)))
            }
        }
    }

    /// Queues the participant under its next deadline when that is earlier than the one it is queued under.
    func schedule(_ participant: Participant, notBefore: ContinuousClock.Instant? = nil) {
        guard var deadline = participant.nextDeadline(configuration: configuration, clock: clock) else { return }
        if let notBefore { deadline = max(deadline, notBefore) }
        if let scheduled = participant.scheduledAt, scheduled <= deadline { return }
        participant.scheduledAt = deadline
        timers.push(deadline, id: participant.identity.participantID)
    }

    // MARK: - Membership

    /// Removes a participant (WHIP/WHEP DELETE, or the room closing).
    public func leave(participantID: String, now: ContinuousClock.Instant, output: inout some DatagramOutput)
        throws(RelayError)
    {
        guard let participant = router.participant(id: participantID) else { throw .unknownParticipant }
        remove(participant, reason: .requested, now: now, output: &output)
    }

    /// Ends every participant of a room, because its session was completed or cancelled: each gets a DTLS
    /// close_notify and, if it had joined, a `left` event with reason `sessionEnded`. A room this worker
    /// does not hold gets no participants. Joins that reach the worker later are refused (`roomClosed`).
    public func closeRoom(_ roomID: String, now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        router.close(roomID: roomID, now: now)
        guard let room = router.room(id: roomID) else { return }
        for participant in room.participants {
            remove(participant, reason: .sessionEnded, now: now, output: &output)
        }
    }

    /// Ends every participant: graceful shutdown sends DTLS close_notify and records who left.
    public func shutdown(now: ContinuousClock.Instant, output: inout some DatagramOutput) {
        for participant in Array(router.participants.values) {
            remove(participant, reason: .shutdown, now: now, output: &output)
        }
    }

    func remove(
        _ participant: Participant, reason: LeaveReason, now: ContinuousClock.Instant, output: inout some DatagramOutput
    ) {
        guard router.participant(id: participant.identity.participantID) === participant else { return }
        if participant.isConnected, let dtls = participant.transport.dtls {
            dtls.close()
            while let datagram = dtls.pollTransmit() {
                if let remote = participant.transport.remote { send(datagram, to: remote, output: &output) }
            }
        }
        if !participant.pacer.isEmpty { participant.pacer.drop(pool: packetPool) }
        let room = participant.room
        for producer in router.remove(participant) { requestKeyframe(producer, now: now, output: &output) }
        if let room { pollSpeakers(of: room, now: clock.nanoseconds(since: now)) }
        guard !participant.isRelayed else { return }
        if participant.firstMediaAt == nil {
            joinTimelines.append(JoinTimeline(
                identity: participant.identity, joined: participant.joinedAt,
                iceChecked: participant.transport.firstCheckAt, connected: participant.connectedAt, firstMedia: nil,
                endedAt: now, endReason: reason))
        }
        // Only someone who completed DTLS was in the room; attendance ignores failed attempts.
        if participant.connectedAt != nil {
            events.append(.left(participant.identity, participant.snapshot(now: now), reason))
        }
        switch reason {
        case .consentExpired, .connectFailed, .closedByPeer:
            roomEvents.append(
                .connectionEnded(
                    roomID: participant.identity.roomID, participantID: participant.identity.participantID, reason: reason))
        case .requested, .shutdown, .sessionEnded:
            break
        }
    }

    // MARK: - Output

    func send(_ bytes: [UInt8], to destination: TransportAddress, output: inout some DatagramOutput) {
        bytes.withUnsafeBytes { send($0, to: destination, output: &output) }
    }

    func send(_ bytes: UnsafeRawBufferPointer, to destination: TransportAddress, output: inout some DatagramOutput) {
        counters.datagramsOut &+= 1
        counters.bytesOut &+= UInt64(bytes.count)
        output.send(bytes, to: destination)
    }

    static func readUInt32(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
