import AsyncHTTPClient
import Congestion
import Foundation
import Histogram
import NIOCore
import NIOPosix
import PeerClient

/// Runs a scenario against the relay: signals every participant through the control plane and
/// WHIP/WHEP (or through Janus's VideoRoom API, `LoadRunner+Janus.swift`), sends real media, and
/// measures what arrives. Publishers encode and send on one event loop, receivers on another, so
/// encoding a frame never delays the timestamping of arrivals.
public final class LoadRunner: @unchecked Sendable {
    public enum Scenario: Sendable, Equatable {
        /// One mentor publishing, `viewers` learners watching.
        case lecture(viewers: Int)
        /// `rooms` rooms of `size` participants, each publishing and watching everyone else.
        case seminar(rooms: Int, size: Int)
        /// A lecture where one viewer leaves and a new one joins every `period`.
        case churn(viewers: Int, period: Duration)

        var name: String {
            switch self {
            case .lecture: "lecture"
            case .seminar(let rooms, let size): "seminar \(rooms)x\(size)"
            case .churn: "churn"
            }
        }
    }

    /// The server under test.
    public enum Target: Sendable, Equatable {
        /// PeerLearn: accounts, bookings and room tokens from the control plane, then WHIP/WHEP.
        case peerlearn
        /// A Janus VideoRoom at this HTTP API URL (e.g. `http://10.0.0.2:8088/janus`); no control plane.
        case janus(url: String)
    }

    public struct InvalidConfiguration: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Configuration: Sendable {
        public var target = Target.peerlearn
        public var baseURL = "http://127.0.0.1:8080"
        /// WHIP/WHEP base URL when the relay runs as its own process; nil: `baseURL`.
        public var relayURL: String?
        public var duration: Duration = .seconds(20)
        public var warmup: Duration = .seconds(3)
        public var width = 640
        public var height = 360
        public var frameRate = 30
        /// Random grain in the publishers' pictures (`SyntheticVideoSource.grain`), so their encoders can reach
        /// `videoKbps` at high frame rates.
        public var grain = 0
        public var videoKbps = 1_450
        public var serverPID: Int32?
        /// Concurrent signaling requests while joining.
        public var joinConcurrency = 8
        public var progress = true
        /// Viewers that unprotect and decode (libvpx, libopus) everything they receive; the rest
        /// read headers and unprotect one packet in 100.
        public var decodingViewers = 1
        /// The address participants' UDP sockets bind (the host side of a veth pair for a server
        /// in a network namespace).
        public var localAddress = "127.0.0.1"
        /// How packets carry their send time; through Janus only `.packetIndex` arrives.
        public var sendTime = SendTimeCarrier.privateExtension
        /// Video leaves through a browser-like pacer (`VideoPacer`) instead of a frame at a time.
        public var pacing = false
        /// Lecture seats booked beyond the viewers but not joined, for participants a scenario adds
        /// itself (the attack scenario's hostile subscriber needs a booking like anyone else).
        public var reservedSeats = 0
        /// Publishers' UDP sockets live in this network namespace (a name under /var/run/netns),
        /// bound to `publisherAddress`, so their uplink crosses its links (`NamespaceSocket`);
        /// signaling and the viewers stay on the host. Needs root.
        public var publisherNamespace: String?
        public var publisherAddress: String?
        /// Offer RTX for video, as browsers do; the relay may ignore it.
        public var rtx = true
        /// How long a viewer's jitter buffer waits for a frame's missing packets (`FrameLossTracker`).
        public var frameDeadline = FrameLossTracker.defaultDeadline
        /// The first `cappedViewers` viewers' sockets live in this network namespace, bound to
        /// `viewerAddress`, so their downlink crosses its links (a shaper on the veth toward it); the
        /// other viewers stay on the host. Needs root.
        public var viewerNamespace: String?
        /// One address, or a comma-separated list: the k-th capped viewer binds the k-th (round robin), so
        /// a shaper can tell the learners apart and cap each on a link of its own, as each is at home.
        public var viewerAddress: String?
        public var cappedViewers = 0
        /// Viewers (the first ones, besides every capped one) whose frames, picture size and freezes are
        /// followed like a browser's, asking for repairs with NACK and PLI (`ViewerQuality`); they
        /// unprotect everything they receive.
        public var trackedViewers = 0
        /// Viewers offer transport-wide-cc and send transport feedback for it, as browsers do.
        public var transportFeedback = true
        /// Publishers send three simulcast layers (1/4, 1/2 and full size at 150, 500 and `videoKbps` kbit/s,
        /// rids q, h, f, as the web client) instead of one stream (`SimulcastLayer`).
        public var simulcast = false
        /// Publishers offer transport-wide-cc and follow the relay's feedback with their encoders' bitrate and
        /// pacing rate, as browsers do (`PublisherRateControl`); off, they send `videoKbps` whatever the link
        /// takes, so fixed-rate benchmarks stay comparable.
        public var publisherAdaptation = true
        /// A lecture's viewer that receives nothing for this long rejoins like the web app does after losing
        /// its relay node: a fresh room token (which names a live node) and WHEP again; the gaps until media
        /// is back are the result's `recoverySeconds` (`LoadRunner+Failover.swift`). Nil: viewers never rejoin.
        public var rejoinAfterSilence: Duration?
        /// Viewers that neither decode, track quality, sit behind the capped link nor send transport feedback
        /// are read in batches (`BatchedViewerReader`): they count from the clear RTP header and unprotect a
        /// sample, and give no latency samples. One tester core can then take what one relay core sends.
        public var batchedReads = false

        public init() {}
    }

    let configuration: Configuration
    let http: HTTPClient
    let client: ControlPlaneClient
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    /// Receivers: `viewers`, `latencies` and their sockets are confined to it.
    let loop: any EventLoop
    /// Publishers: `publishers`, their encoders and sockets are confined to it.
    let mediaLoop: any EventLoop
    var participants: [SimulatedParticipant] = []
    var publishers: [SimulatedParticipant] = []
    private var latencies = LatencyRecorder()
    /// Seconds from a rejoining viewer's last packet to its first on the new connection (loop).
    var recoveries: [Double] = []
    private let epoch = ContinuousClock.now
    private(set) var learners: [(token: String, userID: String)] = []
    private var mentor: (token: String, userID: String)?
    private var userSerial = 0
    private(set) var churnSession: ControlPlaneClient.LiveSession?
    /// Publishers' send times by user id (or Janus feed), for `SendTimeCarrier.packetIndex`.
    let sendLogs = SendTimeLogs()
    private let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    /// Viewers made so far in this run, in join order: the first `cappedViewers` go in the namespace.
    private var viewerSerial = 0
    private let viewerSerialLock = NSLock()
    private var isShutDown = false
    private let shutdownLock = NSLock()
    /// Made on first use, on `loop` (`Configuration.batchedReads`).
    private var batchedReader: BatchedViewerReader?

    public init(configuration: Configuration) {
        self.configuration = configuration
        // A relay node that was just killed can leave a connection attempt unanswered; a browser gives up on it
        // and asks for a fresh token well before HTTPClient's default 10 s.
        var settings = HTTPClient.Configuration()
        settings.timeout.connect = .seconds(2)
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        self.client = ControlPlaneClient(
            baseURL: configuration.baseURL, relayURL: configuration.relayURL ?? configuration.baseURL, http: self.http)
        self.loop = group.next()
        self.mediaLoop = group.next()
    }

    /// Shuts down once; the commands also call it from a `defer`, for their error paths.
    public func shutdown() async {
        guard shutdownLock.withLock({ () -> Bool in
            defer { isShutDown = true }
            return !isShutDown
        }) else { return }
        // Timers stopped first: one firing while the loops shut down would schedule on a loop that is gone.
        try? await loop.submit {
            self.batchedReader?.stop()
            for timer in self.timers { timer.cancel() }
        }.get()
        try? await mediaLoop.submit {
            for timer in self.mediaTimers { timer.cancel() }
            for clock in self.mediaClocks { clock.cancel() }
        }.get()
        try? await http.shutdown()
        try? await group.shutdownGracefully()
    }

    // MARK: - Accounts

    private func ensureLearners(_ count: Int) async throws {
        if mentor == nil { mentor = try await client.register("m\(runID)", role: "mentor") }
        let missing = count - learners.count
        guard missing > 0 else { return }
        let base = learners.count
        let made = try await withThrowingTaskGroup(of: (Int, (String, String)).self) { group in
            var results: [Int: (String, String)] = [:]
            var next = 0
            func add(_ i: Int) {
                group.addTask { (i, try await self.client.register("l\(self.runID)x\(base + i)", role: "learner")) }
            }
            while next < min(missing, configuration.joinConcurrency) { add(next); next += 1 }
            for try await (i, account) in group {
                results[i] = account
                if next < missing { add(next); next += 1 }
            }
            return (0..<missing).map { results[$0]! }
        }
        learners += made.map { (token: $0.0, userID: $0.1) }
    }

    // MARK: - Running

    /// Runs one scenario and measures a window after everyone joined.
    public func run(_ scenario: Scenario) async throws -> LoadResult {
        // A paced packet's send time is rewritten as it leaves; an index stamps a whole frame.
        guard !(configuration.pacing && configuration.sendTime == .packetIndex) else {
            throw InvalidConfiguration(description: "pacing needs the private send-time extension, not an index")
        }
        let janus = try await setUp(scenario)
        var churnTask: Task<Void, any Error>?
        if case .churn(_, let period) = scenario {
            if let janus {
                churnTask = Task { try await self.churn(janus, period: period) }
            } else if let session = churnSession {
                churnTask = Task { try await self.churn(session: session, period: period) }
            }
        }
        var failoverTask: Task<Void, any Error>?
        if let silence = configuration.rejoinAfterSilence, case .lecture = scenario, let session = churnSession {
            failoverTask = Task { try await self.failover(session: session, silence: silence) }
        }
        let result = try await measure(scenario: scenario)
        churnTask?.cancel()
        _ = try? await churnTask?.value
        failoverTask?.cancel()
        _ = try? await failoverTask?.value
        await janus?.close()
        return result
    }

    /// Everyone joins and the warm-up passes; nothing is measured yet.
    func setUp(_ scenario: Scenario) async throws -> JanusScenario? {
        try await reset()
        var janus: JanusScenario?
        switch configuration.target {
        case .peerlearn: try await joinPeerLearn(scenario)
        case .janus(let url): janus = try await joinJanus(scenario, url: url)
        }
        try await waitForJoins(timeout: .seconds(30))
        try await Task.sleep(for: configuration.warmup)
        return janus
    }

    /// Accounts, a session, bookings and room tokens from the control plane; then WHIP/WHEP.
    private func joinPeerLearn(_ scenario: Scenario) async throws {
        switch scenario {
        case .lecture(let viewers), .churn(let viewers, _):
            let seats = viewers + configuration.reservedSeats
            try await ensureLearners(seats)
            let session = try await client.liveSession(mentorToken: mentor!.token, seats: seats)
            churnSession = session
            try await bookAll(session, learners: Array(learners.prefix(seats)))
            try await client.start(session, mentorToken: mentor!.token)
            try await join(session, account: mentor!, role: .publisher, watching: nil)
            try await joinAll(session, accounts: Array(learners.prefix(viewers)), watching: nil)
        case .seminar(let rooms, let size):
            try await ensureLearners(rooms * (size - 1))
            for room in 0..<rooms {
                // Each room: its own mentor-hosted session; learners publish and watch everyone.
                let host = try await client.register("h\(runID)r\(room)x\(userSerial)", role: "mentor")
                userSerial += 1
                let members = Array(learners[(room * (size - 1))..<((room + 1) * (size - 1))])
                let session = try await client.liveSession(mentorToken: host.token, seats: size - 1)
                try await bookAll(session, learners: members)
                try await client.start(session, mentorToken: host.token)
                let everyone = [host] + members
                for member in everyone { try await join(session, account: member, role: .publisher, watching: nil) }
                for member in everyone {
                    for other in everyone where other.userID != member.userID {
                        try await join(session, account: member, role: .viewer, watching: other.userID)
                    }
                }
            }
        }
    }

    private func bookAll(_ session: ControlPlaneClient.LiveSession, learners: [(token: String, userID: String)]) async throws {
        try await forEachConcurrently(learners) { try await self.client.book(session, learnerToken: $0.token) }
    }

    private func joinAll(
        _ session: ControlPlaneClient.LiveSession, accounts: [(token: String, userID: String)], watching: String?
    ) async throws {
        try await forEachConcurrently(accounts) { try await self.join(session, account: $0, role: .viewer, watching: watching) }
    }

    func forEachConcurrently<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = items.makeIterator()
            for _ in 0..<configuration.joinConcurrency {
                guard let item = iterator.next() else { break }
                group.addTask { try await body(item) }
            }
            while try await group.next() != nil {
                if let item = iterator.next() { group.addTask { try await body(item) } }
            }
        }
    }

    /// Signals one participant exactly as a browser would: room token, offer, WHIP/WHEP, ICE, DTLS.
    @discardableResult
    private func join(
        _ session: ControlPlaneClient.LiveSession, account: (token: String, userID: String),
        role: SimulatedParticipant.Role, watching: String?
    ) async throws -> Int {
        let ticket = try await client.roomToken(session, accessToken: account.token)
        let roomToken = ticket.token
        // A lecture's viewers watch the mentor.
        let sendLog = role == .publisher ? configuration.sendTime.makeLog() : sendLogs[watching ?? mentor?.userID ?? ""]
        if role == .publisher { sendLogs.register(sendLog, as: account.userID) }
        let participant = try await makeParticipant(role: role, sendLog: sendLog)
        let offer = try await participant.home.submit { participant.box.value.offer() }.get()
        let answer: String
        let resource: String
        do {
            (answer, resource) = try await client.exchange(
                kind: role == .publisher ? "whip" : "whep", roomID: session.roomID, ticket: ticket, offer: offer,
                watching: watching)
        } catch {
            // Nobody answered (a node that is gone): this attempt is not a participant.
            try? await participant.home.submit {
                participant.box.value.channel?.close(promise: nil)
                participant.box.value.channel = nil
            }.get()
            throw error
        }
        try await participant.home.submit {
            let participant = participant.box.value
            participant.resourceURL = resource
            participant.roomToken = roomToken
            participant.answer = answer
            participant.account = account
            try participant.peer.applyAnswer(answer)
        }.get()
        try await startParticipant(participant)
        return participant.box.value.index
    }

    /// A lecture viewer joining (again); its participant index.
    func joinViewer(_ session: ControlPlaneClient.LiveSession, account: (token: String, userID: String)) async throws -> Int {
        try await join(session, account: account, role: .viewer, watching: nil)
    }

    /// A participant with its own socket and peer, registered on the loop that will own it.
    func makeParticipant(role: SimulatedParticipant.Role, sendLog: SendTimeLog?) async throws
        -> (box: SimulatedParticipantBox, home: any EventLoop)
    {
        let home = role == .publisher ? mediaLoop : loop
        let bootstrap = DatagramBootstrap(group: home)
            .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
            // One recvmsg per wakeup: a learner's socket rarely holds more than one packet, and
            // NIO's default of 4 would add a second, empty recvmsg to every packet (epoll is
            // level-triggered, so nothing waits longer).
            .channelOption(.maxMessagesPerRead, value: 1)
        let channel: any Channel
        var descriptor: CInt?
        let ordinal = role == .viewer
            ? viewerSerialLock.withLock {
                defer { viewerSerial += 1 }
                return viewerSerial
            } : -1
        let capped = role == .viewer && configuration.viewerNamespace != nil && ordinal < configuration.cappedViewers
        if role == .publisher, let namespace = configuration.publisherNamespace {
            let socket = try NamespaceSocket.udp(
                namespace: namespace, address: configuration.publisherAddress ?? configuration.localAddress)
            descriptor = socket
            channel = try await bootstrap.withBoundSocket(socket).get()
        } else if capped, let namespace = configuration.viewerNamespace {
            let addresses = (configuration.viewerAddress ?? configuration.localAddress)
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let address = addresses.isEmpty ? configuration.localAddress : addresses[ordinal % addresses.count]
            let socket = try NamespaceSocket.udp(namespace: namespace, address: address)
            descriptor = socket
            channel = try await bootstrap.withBoundSocket(socket).get()
        } else if case .success(let socket) = NamespaceSocket.bound(address: configuration.localAddress) {
            descriptor = socket
            channel = try await bootstrap.withBoundSocket(socket).get()
        } else {
            channel = try await bootstrap.bind(host: configuration.localAddress, port: 0).get()  // not IPv4
        }
        let participant = try await home.submit { () throws -> SimulatedParticipantBox in
            // A publisher answers NACKs; without RTX that resends a sequence number unchanged.
            let peer = try PeerClient(allowRepeatTransmission: role == .publisher)
            let participant = SimulatedParticipant(index: self.participants.count + self.publishers.count, role: role, peer: peer, now: .now)
            participant.channel = channel
            participant.sendTime = self.configuration.sendTime
            participant.sendLog = sendLog
            participant.offersRTX = self.configuration.rtx
            if role == .publisher, self.configuration.simulcast { participant.simulcastRIDs = SimulcastLayer.rids }
            if role == .publisher { participant.adaptsBitrate = self.configuration.publisherAdaptation }
            if role == .viewer, self.participants.count < self.configuration.decodingViewers {
                participant.decoder = try SampleDecoder(frameDeadline: self.configuration.frameDeadline)
            }
            if role == .viewer {
                participant.capped = capped
                participant.sendsTransportFeedback = self.configuration.transportFeedback
                if capped || ordinal < self.configuration.trackedViewers {
                    participant.quality = ViewerQuality(deadline: self.configuration.frameDeadline)
                }
            }
            if role == .publisher { self.publishers.append(participant) } else { self.participants.append(participant) }
            if let descriptor, self.readsInBatches(participant) {
                try self.readInBatches(participant, descriptor: descriptor)
            }
            return SimulatedParticipantBox(participant)
        }.get()
        // A viewer's arrivals are the kernel's: its feedback and latency samples must not carry the tester's stalls.
        // (A viewer read in batches gives neither.)
        let stamped = role == .viewer && !participant.value.readInBatches
        let stamp = stamped ? descriptor.map(ArrivalStamp.init(descriptor:)) : nil
        try await channel.pipeline.addHandler(ParticipantHandler(runner: self, participant: participant, stamp: stamp)).get()
        return (participant, home)
    }

    /// After negotiation: a publisher gets its encoders; everyone starts ICE.
    func startParticipant(_ participant: (box: SimulatedParticipantBox, home: any EventLoop)) async throws {
        try await participant.home.submit {
            let participant = participant.box.value
            participant.extensionIDs = participant.sendTime.extensionIDs(negotiated: participant.peer.extensionIDs)
            participant.prepareNackResponder()
            participant.prepareTransportFeedback()
            if participant.role == .publisher {
                let fixedRate = participant.simulcastRIDs.isEmpty && !self.configuration.publisherAdaptation
                participant.publisher = try MediaPublisher(
                    videoSSRC: participant.peer.videoSSRC, audioSSRC: participant.peer.audioSSRC,
                    width: self.configuration.width, height: self.configuration.height,
                    frameRate: self.configuration.frameRate, videoKbps: self.configuration.videoKbps,
                    grain: self.configuration.grain, sendTime: participant.sendTime,
                    extensionIDs: participant.extensionIDs, sendLog: participant.sendLog,
                    sharedEncoder: fixedRate ? try self.sharedEncoder() : nil)
                if !participant.simulcastRIDs.isEmpty, let publisher = participant.publisher {
                    let peer = participant.peer
                    publisher.sendSimulcast(
                        try SimulcastLayer.layers(
                            ssrc: { peer.simulcastSSRC(layer: $0) }, width: self.configuration.width,
                            height: self.configuration.height, frameRate: self.configuration.frameRate,
                            kbps: self.configuration.videoKbps, grain: self.configuration.grain),
                        ridExtensionID: peer.extensionIDs[SimulcastLayer.ridURI] ?? PeerClient.rtpStreamIDExtension)
                }
                participant.prepareRateControl(layers: self.rateLayers(of: participant.publisher))
            }
            participant.peer.start(now: .now)
            participant.flush()
            participant.channel?.flush()
        }.get()
    }

    // MARK: - The event loop's work

    /// A datagram read at `now` that arrived at `arrival`.
    func received(_ bytes: ByteBuffer, participant: SimulatedParticipant, now: ContinuousClock.Instant, arrival: ContinuousClock.Instant) {
        if let latency = participant.receive(bytes, now: now, arrival: arrival, epoch: epoch) {
            latencies.record(nanoseconds: latency)
        }
        if participant.role == .viewer, Self.isRTP(bytes) { mediaArrived(at: participant, now: now) }
        participant.flush()
    }

    /// Whether a participant only counts what it receives, and so can be read in batches.
    private func readsInBatches(_ participant: SimulatedParticipant) -> Bool {
        configuration.batchedReads && participant.role == .viewer && participant.decoder == nil
            && participant.quality == nil && !participant.capped && !participant.sendsTransportFeedback
    }

    /// Takes a viewer's socket away from NIO's reads (its writes stay with NIO) and gives it to the batched
    /// reader; on `loop`, before the viewer's offer, so no datagram of its is read any other way.
    private func readInBatches(_ participant: SimulatedParticipant, descriptor: CInt) throws {
        guard let channel = participant.channel else { return }
        try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        participant.readInBatches = true
        let reader = try batchedReader ?? BatchedViewerReader(loop: loop)
        batchedReader = reader
        // The reader holds the viewer until its socket closes (`remove`).
        let token = try reader.add(descriptor: descriptor) { [weak self] raw, now in
            guard let self else { return }
            if SimulatedParticipant.isRTP(raw) {
                participant.receiveBatchedRTP(raw, now: now)
                self.mediaArrived(at: participant, now: now)
            } else {
                var buffer = channel.allocator.buffer(capacity: raw.count)
                buffer.writeBytes(raw)
                self.received(buffer, participant: participant, now: now, arrival: now)
            }
        }
        channel.closeFuture.whenComplete { [weak reader] _ in reader?.remove(token: token) }
    }

    private var timers: [RepeatedTask] = []
    private var mediaTimers: [RepeatedTask] = []
    private var mediaClocks: [FixedRateTimer] = []
    /// Media loop only.
    private var sharedVideoEncoder: SharedVideoEncoder?
    /// Each publisher's counters every second since the run's media began, by participant index (media loop).
    private var publisherSeries: [Int: [PublisherSample]] = [:]

    private func reset() async throws {
        // Leave like a browser (WHIP/WHEP DELETE), so a ramp's next step does not share the relay
        // with the last step's participants until their consent expires.
        let departing = try await loop.submit { self.participants.compactMap(Self.resource) }.get()
            + (try await mediaLoop.submit { self.publishers.compactMap(Self.resource) }.get())
        try? await forEachConcurrently(departing) { try await self.client.delete($0.url, roomToken: $0.token) }
        try await loop.submit {
            for timer in self.timers { timer.cancel() }
            self.timers.removeAll()
            for participant in self.participants { participant.channel?.close(promise: nil) }
            self.participants.removeAll()
            self.viewerSerialLock.withLock { self.viewerSerial = 0 }
            self.latencies = LatencyRecorder()
            self.departed = Snapshot()
            self.recoveries = []
        }.get()
        try await mediaLoop.submit {
            for timer in self.mediaTimers { timer.cancel() }
            self.mediaTimers.removeAll()
            for clock in self.mediaClocks { clock.cancel() }
            self.mediaClocks.removeAll()
            for participant in self.publishers { participant.channel?.close(promise: nil) }
            self.publishers.removeAll()
            self.sharedVideoEncoder = nil
            self.publisherSeries.removeAll()
        }.get()
        try await loop.submit { self.startTimers() }.get()
        try await mediaLoop.submit { self.startMediaTimers() }.get()
    }

    private static func resource(_ participant: SimulatedParticipant) -> (url: String, token: String)? {
        guard participant.channel != nil, let url = participant.resourceURL, let token = participant.roomToken else { return nil }
        return (url, token)
    }

    private func startTimers() {
        timers.append(Self.controlTimer(on: loop) { self.participants })
        // Viewers' transport feedback, and the repairs of frames a deadline gave up on (`ViewerQuality`).
        timers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
            let now = ContinuousClock.now
            for participant in self.participants where participant.transportFeedback != nil || participant.quality != nil {
                participant.quality?.advance(now: now)
                participant.askForRepairs(now: now)
            }
        })
    }

    private func startMediaTimers() {
        mediaTimers.append(Self.controlTimer(on: mediaLoop) { self.publishers })
        let frameInterval = TimeAmount.microseconds(Int64(1_000_000 / max(configuration.frameRate, 1)))
        // Frames and audio packets on fixed-rate clocks, as a camera and a microphone tick.
        mediaClocks.append(FixedRateTimer(on: mediaLoop, interval: frameInterval) {
            self.sharedVideoEncoder?.advance()
            self.sendMedia(video: true)
        })
        mediaClocks.append(FixedRateTimer(on: mediaLoop, interval: .milliseconds(20)) { self.sendMedia(video: false) })
        mediaTimers.append(mediaLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            let now = Date().timeIntervalSince1970
            for participant in self.publishers where participant.peer.isConnected {
                self.publisherSeries[participant.index, default: []].append(PublisherSample(participant, unixSeconds: now))
            }
        })
        // The pacer, and publishers' bandwidth probes (`PublisherRateControl`).
        if configuration.pacing || configuration.publisherAdaptation {
            mediaTimers.append(mediaLoop.scheduleRepeatedTask(initialDelay: .milliseconds(5), delay: .milliseconds(5)) { _ in
                self.sendPaced()
            })
        }
    }

    /// The fixed-rate publishers' one encoder (`SharedVideoEncoder`), made by the first; media loop only.
    private func sharedEncoder() throws -> SharedVideoEncoder {
        if let sharedVideoEncoder { return sharedVideoEncoder }
        let encoder = try SharedVideoEncoder(
            width: configuration.width, height: configuration.height, frameRate: configuration.frameRate,
            videoKbps: configuration.videoKbps, grain: configuration.grain)
        sharedVideoEncoder = encoder
        return encoder
    }

    /// DTLS retransmissions and consent freshness for the participants a loop owns.
    private static func controlTimer(on loop: any EventLoop, _ members: @escaping () -> [SimulatedParticipant]) -> RepeatedTask {
        var tick = 0
        return loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
            tick += 1
            let now = ContinuousClock.now
            let consentTick = tick % 500 == 0
            let checkRetryTick = tick % 20 == 0
            for participant in members() {
                // A connected peer's DTLS is done (the server's Finished came last), so it only
                // needs consent freshness (RFC 7675): a check every 5 s keeps the relay from
                // timing it out. Skipping it the rest of the time keeps hundreds of learners cheap.
                let connected = participant.peer.isConnected
                if connected && !consentTick { continue }
                participant.peer.handleTimeout(now: now)
                // Consent freshness; and a check lost on a lossy uplink is sent again every 200 ms,
                // as an ICE agent retransmits (RFC 8445 §14.3), or the participant never connects.
                if connected || (checkRetryTick && participant.peer.state == .checking) { participant.peer.start(now: now) }
                participant.flush()
                participant.channel?.flush()
            }
        }
    }

    /// The tester's clock for send times: nanoseconds since the run's epoch.
    static func nanoseconds(since epoch: ContinuousClock.Instant) -> UInt64 {
        let elapsed = ContinuousClock.now - epoch
        return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
    }

    /// A pacer tick: each publisher's due video packets, stamped with the time they really leave, and its
    /// probe's padding.
    private func sendPaced() {
        for participant in publishers where participant.peer.isConnected && participant.rateControl != nil {
            guard let channel = participant.channel, let relay = participant.peer.remote else { continue }
            participant.sendProbe(in: VideoPacer.interval, to: relay, on: channel)
        }
        for participant in publishers where participant.peer.isConnected && participant.pacer?.isEmpty == false {
            guard let channel = participant.channel, let relay = participant.peer.remote, let due = participant.pacer?.due()
            else { continue }
            for var packet in due {
                participant.sendTime.restamp(&packet, nanoseconds: Self.nanoseconds(since: epoch), ids: participant.extensionIDs)
                participant.sendRTP(packet, video: true, firstTransmission: true, to: relay, on: channel)
                // One datagram per send, as a pacer's burst leaves the socket.
                channel.flush()
            }
        }
    }

    /// A publisher's video rates for congestion control: its simulcast layers, or one stream from 30 kbit/s
    /// (libwebrtc's floor) to `--video-kbps`.
    private func rateLayers(of publisher: MediaPublisher?) -> [SimulcastBitrateAllocator.Layer] {
        if let layers = publisher?.simulcastLayers, !layers.isEmpty {
            return SimulcastLayer.allocatorLayers(layers, kbps: configuration.videoKbps)
        }
        let most = UInt64(configuration.videoKbps) * 1_000
        return [.init(minimum: min(30_000, most), target: most, maximum: most)]
    }

    private func sendMedia(video: Bool) {
        for participant in publishers where participant.peer.isConnected {
            guard let publisher = participant.publisher, let channel = participant.channel,
                let relay = participant.peer.remote
            else { continue }
            let epoch = epoch
            let sendTime = { Self.nanoseconds(since: epoch) }
            let packets = video
                ? publisher.nextVideoPackets(sendTime: sendTime) : publisher.nextAudioPacket(sendTime: sendTime).map { [$0] } ?? []
            if video && configuration.pacing {
                if participant.pacer == nil {
                    participant.pacer = VideoPacer(videoKbps: configuration.videoKbps)
                    if let estimate = participant.rateControl?.estimate { participant.pacer?.setRate(bitsPerSecond: estimate) }
                }
                participant.pacer?.enqueue(packets)
                continue
            }
            for packet in packets {
                participant.sendRTP(packet, video: video, firstTransmission: true, to: relay, on: channel)
            }
            channel.flush()
        }
    }

    func waitForJoins(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (connected, total) = try await loop.submit {
                (self.participants.filter(\.peer.isConnected).count, self.participants.count)
            }.get()
            let publishing = try await mediaLoop.submit { self.publishers.allSatisfy(\.peer.isConnected) }.get()
            if connected == total && publishing { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Every period the oldest viewer leaves (WHEP DELETE) and comes back as a new connection, so
    /// joins and departures happen while media flows; their join times count in the result.
    private func churn(session: ControlPlaneClient.LiveSession, period: Duration) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: period)
            let leaving = try await loop.submit { () -> (Int, String, String, (token: String, userID: String))? in
                guard let victim = self.participants.first(where: { $0.role == .viewer && $0.channel != nil }),
                    let resource = victim.resourceURL, let token = victim.roomToken, let account = victim.account
                else { return nil }
                victim.channel?.close(promise: nil)
                victim.channel = nil
                self.retire(victim)
                return (victim.index, resource, token, account)
            }.get()
            guard let (_, resource, token, account) = leaving else { continue }
            try await client.delete(resource, roomToken: token)
            try await join(session, account: account, role: .viewer, watching: nil)
        }
    }

    /// What viewers that left during churn had received, so totals never go backwards.
    private var departed = Snapshot()

    /// A churned viewer's counts move to `departed`; its own restart for the join it no longer is.
    func retire(_ victim: SimulatedParticipant) {
        departed.add(victim.statistics, ssrcs: victim.peer.remoteSSRCs)
        victim.statistics = ReceiverStatistics()
    }

    private struct Snapshot {
        var packets: Int64 = 0
        var bytes: Int64 = 0
        var lost: Int64 = 0
        var expected: Int64 = 0
        var joins: [Double] = []
        var joined = 0
        var sampledOK = 0
        var sampledFailed = 0
        var decoded = SampleDecoder.Counts()
        /// Video and audio streams alone: uplink loss the relay cannot repair shows in audio.
        var video = (lost: Int64(0), expected: Int64(0))
        var audio = (lost: Int64(0), expected: Int64(0))
        /// Each decoding viewer's frame counts, by participant index.
        var frames: [Int: FrameLossTracker.Counts] = [:]
        /// Each viewer present now, by participant index.
        var viewers: [Int: ViewerSample] = [:]

        /// `ssrcs`: the viewer's remote SSRCs by kind, to split video from audio.
        mutating func add(_ statistics: ReceiverStatistics, ssrcs: [String: UInt32]) {
            packets += statistics.packets
            bytes += statistics.bytes
            lost += statistics.lost
            expected += statistics.expected
            let video = statistics.loss(ssrc: ssrcs["video"])
            let audio = statistics.loss(ssrc: ssrcs["audio"])
            self.video = (self.video.lost + video.lost, self.video.expected + video.expected)
            self.audio = (self.audio.lost + audio.lost, self.audio.expected + audio.expected)
        }

        /// The departed viewers' packet counts (their joins and samples are not carried over).
        mutating func add(_ other: Snapshot) {
            packets += other.packets
            bytes += other.bytes
            lost += other.lost
            expected += other.expected
            video = (video.lost + other.video.lost, video.expected + other.video.expected)
            audio = (audio.lost + other.audio.lost, audio.expected + other.audio.expected)
        }
    }

    /// Every publisher's counters now, by participant index.
    private func publisherSamples() async throws -> [Int: PublisherSample] {
        try await mediaLoop.submit {
            let now = Date().timeIntervalSince1970
            var samples: [Int: PublisherSample] = [:]
            for participant in self.publishers { samples[participant.index] = PublisherSample(participant, unixSeconds: now) }
            return samples
        }.get()
    }

    /// What every publisher was asked to retransmit and sent, so far.
    private func repairCounts() async throws -> NackResponder.Counts {
        try await mediaLoop.submit {
            var counts = NackResponder.Counts()
            for participant in self.publishers {
                counts.add(participant.repairCounts)
            }
            return counts
        }.get()
    }

    private func snapshot() async throws -> Snapshot {
        try await loop.submit {
            var snapshot = Snapshot()
            snapshot.add(self.departed)
            let now = ContinuousClock.now
            for participant in self.participants where participant.role == .viewer {
                snapshot.add(participant.statistics, ssrcs: participant.peer.remoteSSRCs)
                snapshot.sampledOK += participant.sampledOK
                snapshot.sampledFailed += participant.sampledFailed
                if let decoder = participant.decoder {
                    decoder.advance(now: now)
                    snapshot.decoded.add(decoder.results)
                    snapshot.frames[participant.index] = decoder.frameLoss
                }
                let video = participant.statistics.loss(ssrc: participant.peer.remoteSSRCs["video"])
                snapshot.viewers[participant.index] = ViewerSample(
                    capped: participant.capped, bytes: participant.statistics.bytes, lost: participant.statistics.lost,
                    expected: participant.statistics.expected, videoLost: video.lost, videoExpected: video.expected,
                    quality: participant.quality?.counts(now: now), width: participant.quality?.width,
                    height: participant.quality?.height, feedbackSent: participant.transportFeedback?.sent,
                    layerChanges: participant.quality?.layerChanges.map {
                        LoadResult.LayerChange(unixSeconds: $0.unixSeconds, width: $0.width, height: $0.height)
                    }, userID: participant.account?.userID,
                    unprotectFailed: participant.sampledFailed, readInBatches: participant.readInBatches)
                if let first = participant.statistics.firstPacketAt {
                    snapshot.joined += 1
                    let join = first - participant.joinStartedAt
                    snapshot.joins.append(Double(join.components.seconds) * 1_000 + Double(join.components.attoseconds) / 1e15)
                }
            }
            return snapshot
        }.get()
    }

    func measure(scenario: Scenario) async throws -> LoadResult {
        let sampler = configuration.serverPID.map(ProcessSampler.init)
        try await loop.submit { self.latencies = LatencyRecorder() }.get()
        let before = try await snapshot()
        let repairBefore = try await repairCounts()
        let publishersBefore = try await publisherSamples()
        let cpuBefore = sampler?.cpuSeconds()
        let metricsURL = (configuration.relayURL ?? configuration.baseURL) + "/metrics"
        let relayBefore = configuration.target == .peerlearn ? await RelayMetrics.scrape(metricsURL, http: http) : nil
        let start = ContinuousClock.now
        let seconds = Double(configuration.duration.components.seconds)
        var elapsed = 0.0
        while elapsed < seconds {
            try await Task.sleep(for: .seconds(1))
            elapsed = Double((ContinuousClock.now - start).components.seconds)
            if configuration.progress {
                let now = try await snapshot()
                let rate = Double(now.packets - before.packets) / max(1, elapsed)
                let loss = 100 * Double(now.lost - before.lost) / Double(max(1, now.expected - before.expected))
                let p99 = try await loop.submit { self.latencies.percentile(99) }.get()
                FileHandle.standardError.write(Data(String(
                    format: "\r%@ t=%2.0fs joined=%d rx=%.0f pkt/s loss=%.2f%% p99=%.2f ms   ",
                    scenario.name, elapsed, now.joined, rate, loss, p99 / 1e6).utf8))
            }
        }
        if configuration.progress { FileHandle.standardError.write(Data("\n".utf8)) }
        let after = try await snapshot()
        let repairAfter = try await repairCounts()
        let publishersAfter = try await publisherSamples()
        let series = try await mediaLoop.submit { self.publisherSeries }.get()
        let window = Double((ContinuousClock.now - start).components.seconds)
            + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        let cpuAfter = sampler?.cpuSeconds()
        let relayAfter = relayBefore == nil ? nil : await RelayMetrics.scrape(metricsURL, http: http)
        // The relay's estimate toward each viewer, from the lecture's statistics (seminars have no one session).
        var estimates: [String: Double] = [:]
        var seminar = false
        if case .seminar = scenario { seminar = true }
        if configuration.target == .peerlearn, !seminar, let session = churnSession, let mentor {
            estimates = (try? await client.estimates(session, mentorToken: mentor.token)) ?? [:]
        }
        var viewers = LoadResult.Viewer.window(before: before.viewers, after: after.viewers, seconds: window)
        if var list = viewers {
            for index in list.indices {
                guard let user = after.viewers[list[index].viewer]?.userID, let estimate = estimates[user] else { continue }
                list[index].relayEstimateKbps = estimate / 1_000
            }
            viewers = list
        }
        let packets = Double(after.packets - before.packets)
        let (p50, p95, p99, p999) = try await loop.submit {
            (self.latencies.percentile(50), self.latencies.percentile(95), self.latencies.percentile(99),
             self.latencies.percentile(99.9))
        }.get()
        let joins = after.joins.sorted()
        func quantile(_ q: Double) -> Double {
            joins.isEmpty ? 0 : joins[min(joins.count - 1, Int(Double(joins.count - 1) * q))]
        }
        var cpuPer1000: Double?
        var cpuPercent: Double?
        if let cpuBefore, let cpuAfter {
            cpuPer1000 = packets > 0 ? (cpuAfter - cpuBefore) / packets * 1_000 : nil
            cpuPercent = 100 * (cpuAfter - cpuBefore) / window
        }
        return LoadResult(
            scenario: scenario.name, participants: try await loop.submit { self.participants.count }.get()
                + (try await mediaLoop.submit { self.publishers.count }.get()),
            windowSeconds: window, forwardedPacketsPerSecond: packets / window,
            forwardedMegabitsPerSecond: Double(after.bytes - before.bytes) * 8 / window / 1e6,
            lossPercent: 100 * Double(after.lost - before.lost) / Double(max(1, after.expected - before.expected)),
            latencyP50Milliseconds: p50 / 1e6, latencyP95Milliseconds: p95 / 1e6, latencyP99Milliseconds: p99 / 1e6,
            latencyP999Milliseconds: p999 / 1e6, joinP50Milliseconds: quantile(0.5), joinP99Milliseconds: quantile(0.99), joined: after.joined,
            serverCPUSecondsPer1000Packets: cpuPer1000, serverCPUPercent: cpuPercent,
            serverResidentMegabytes: sampler?.residentMegabytes(), sampledUnprotectOK: after.sampledOK,
            sampledUnprotectFailed: after.sampledFailed, decoded: .init(after.decoded),
            videoLossPercent: Self.percent(after.video.lost - before.video.lost, of: after.video.expected - before.video.expected),
            audioLossPercent: Self.percent(after.audio.lost - before.audio.lost, of: after.audio.expected - before.audio.expected),
            frameLoss: LoadResult.FrameLoss(before: before.frames, after: after.frames, deadline: configuration.frameDeadline),
            publisherRepair: LoadResult.PublisherRepair(repairAfter.subtracting(repairBefore), rtx: try await usesRTX()),
            viewers: viewers,
            layerMix: LoadResult.layerMix(after.viewers.values.compactMap { sample in
                sample.width.flatMap { width in sample.height.map { "\(width)x\($0)" } }
            }),
            publishers: LoadResult.Publisher.window(before: publishersBefore, after: publishersAfter, series: series),
            recoverySeconds: configuration.rejoinAfterSilence == nil ? nil : try await loop.submit { self.recoveries }.get(),
            relayWorkerBusyPercent: relayAfter.flatMap { $0.workerBusyPercent(since: relayBefore, seconds: window) })
    }

    /// Nil when nothing was expected (no such stream reached the viewers).
    private static func percent(_ part: Int64, of whole: Int64) -> Double? {
        whole > 0 ? 100 * Double(part) / Double(whole) : nil
    }

    /// Whether the publishers retransmit as RTX (the answers accepted it); nil without publishers.
    private func usesRTX() async throws -> Bool? {
        try await mediaLoop.submit {
            guard let publisher = self.publishers.first else { return nil }
            if !publisher.layerResponders.isEmpty { return false }
            return publisher.nackResponder.map { $0.mode != .plain }
        }.get()
    }
}

/// Reads each datagram off a participant's socket into the runner, on the socket's own event loop.
final class ParticipantHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let runner: LoadRunner
    let participant: SimulatedParticipant
    let stamp: ArrivalStamp?

    init(runner: LoadRunner, participant: SimulatedParticipantBox, stamp: ArrivalStamp?) {
        self.runner = runner
        self.participant = participant.value
        self.stamp = stamp
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let (now, arrival) = stamp?.read() ?? { let now = ContinuousClock.now; return (now, now) }()
        runner.received(envelope.data, participant: participant, now: now, arrival: arrival)
    }
}

/// Hands a participant between tasks; it is only ever used on the event loop that owns its socket.
struct SimulatedParticipantBox: @unchecked Sendable {
    let value: SimulatedParticipant
    init(_ value: SimulatedParticipant) { self.value = value }
}

/// Relay-added latency samples in nanoseconds, in an HdrHistogram: every sample counts (no reservoir), at
/// three significant digits from 1 µs to 60 s, in constant memory and constant time per sample, so p99.9 at
/// hundreds of thousands of packets a second is the real p99.9 and not a sort of whatever was kept.
struct LatencyRecorder {
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(nanoseconds: Int64) {
        // A sample beyond the range (a clock step) is clamped to it rather than lost; a negative one is 0.
        _ = histogram.record(UInt64(clamping: min(max(nanoseconds, 0), 60_000_000_000)))
    }

    /// The value at `p` percent (0-100) in nanoseconds; 0 with no samples.
    func percentile(_ p: Double) -> Double {
        guard histogram.totalCount > 0 else { return 0 }
        return Double(histogram.valueAtPercentile(min(max(p, 0), 100)))
    }
}
