import DTLS
import Logging
import NIOCore
import Relay
import STUN
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs the relay's workers: one UDP socket and one `RelayEngine` per `WorkerLoop` (a thread each), each
/// on its own port (`port`, `port + 1`, …), like mediasoup's workers. A room is pinned to one worker by
/// its id, so every packet of a room is handled on one thread with no locks and no hand-offs.
public final class RelayService: Service, Sendable {
    public struct Configuration: Sendable {
        public var bindHost: String
        /// Addresses put in host candidates; NAT'd servers list their public address here.
        public var announcedAddresses: [String]
        public var port: Int
        public var workers: Int
        /// Each worker socket's kernel send and receive buffer.
        public var socketBufferBytes = 4 << 20
        /// UDP GRO on receive (Linux 5.10+): the kernel may hand over a run of same-size datagrams from one
        /// sender as one buffer (a NIC coalescing a video frame's burst, or a peer's GSO send), which the
        /// worker splits again. One trip through the UDP stack per run instead of per datagram.
        public var receiveOffload = true
        public var engine: RelayConfiguration
        /// People in a room on its home worker before further WHEP viewers go to the worker with the
        /// fewest of the room's people, fed by a cascade pipe from home (`RelayService+Cascade.swift`), so a
        /// lecture's fan-out uses every core. 0: a room stays on its home worker.
        public var spreadAfter = 0

        public init(bindHost: String = "127.0.0.1", announcedAddresses: [String] = ["127.0.0.1"], port: Int = 40_000,
            workers: Int = 1)
        {
            self.bindHost = bindHost
            self.announcedAddresses = announcedAddresses
            self.port = port
            self.workers = max(1, workers)
            self.engine = RelayConfiguration(announcedAddresses: announcedAddresses, port: UInt16(port))
        }
    }

    struct Worker: Sendable {
        let loop: WorkerLoop
        /// The engine and its timer, confined to `loop`.
        let bound: NIOLoopBoundBox<Bound>
        /// The send path, made when the socket is bound in `run()`.
        let batch: NIOLoopBoundBox<DatagramBatch?>
        /// The socket's reader, made when the socket is bound, for its receive counters.
        let reader: NIOLoopBoundBox<WorkerReceiver?>
        let port: Int
        /// The engine's configuration (its port in candidates), for negotiating offers off its loop.
        let configuration: RelayConfiguration

        struct Bound {
            let engine: RelayEngine
            /// Arms the engine's next deadline and hands its events on; call after anything the engine did.
            let timer: EngineTimer
            /// How long datagrams wait in the relay, read to flush (`BatchDelayHistogram`).
            let delays: BatchDelayRecorder
        }
    }

    public let configuration: Configuration
    public let certificate: DTLSCertificate
    public let events: AsyncStream<RelayEvent>
    private let eventSink: AsyncStream<RelayEvent>.Continuation
    /// Dominant-speaker changes per room, for the room sockets. Newest kept when nobody reads.
    public let roomEvents: AsyncStream<RoomEvent>
    private let roomEventSink: AsyncStream<RoomEvent>.Continuation
    let workers: [Worker]
    let logger: Logger
    /// The cascade pipes feeding rooms on this process's workers, by room, watched user and worker.
    let pipes = PipeTable()
    private let listening = Mutex(false)
    /// Joins as traces, from the signaling request to the first media packet.
    let joinTracer = JoinTracer()

    /// Whether every worker's socket is bound (`run()` got that far): tests and readiness checks wait for it.
    public var isListening: Bool { listening.withLock { $0 } }

    public init(configuration: Configuration, logger: Logger = Logger(label: "peerlearn.relay")) throws {
        self.configuration = configuration
        self.certificate = try DTLSCertificate()
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: RelayEvent.self, bufferingPolicy: .unbounded)
        (roomEvents, roomEventSink) = AsyncStream.makeStream(of: RoomEvent.self, bufferingPolicy: .bufferingNewest(1_024))
        let ntp = Self.ntpNow()
        let start = ContinuousClock.now
        var workers: [Worker] = []
        // Threads already started are stopped if a later one cannot be.
        defer { if workers.count < configuration.workers { for worker in workers { worker.loop.stop() } } }
        for index in 0..<configuration.workers {
            let loop = try WorkerLoop(name: "relay-worker-\(index)")
            var engineConfiguration = configuration.engine
            engineConfiguration.port = UInt16(configuration.port + index)
            engineConfiguration.announcedAddresses = configuration.announcedAddresses
            engineConfiguration.participantIDPrefix = Self.participantIDPrefix(worker: index)
            let workerConfiguration = engineConfiguration
            let certificate = self.certificate
            let batch = NIOLoopBoundBox.makeEmptyBox(valueType: DatagramBatch.self, eventLoop: loop)
            let reader = NIOLoopBoundBox.makeEmptyBox(valueType: WorkerReceiver.self, eventLoop: loop)
            let sink = eventSink
            let roomSink = roomEventSink
            // Made here and handed to the loop, rather than made on it and waited for: `init` may run on a
            // Swift concurrency thread, which must never block on an event loop.
            let engine = RelayEngine(
                configuration: workerConfiguration, certificate: certificate, ntpAtStart: ntp, startInstant: start)
            let timer = EngineTimer(
                loop: loop, engine: engine, batch: { batch.value }, events: sink, roomEvents: roomSink,
                joinTracer: joinTracer)
            let bound = NIOLoopBoundBox.makeBoxSendingValue(Worker.Bound(engine: engine, timer: timer, delays: BatchDelayRecorder()), eventLoop: loop)
            workers.append(
                Worker(
                    loop: loop, bound: bound, batch: batch, reader: reader, port: configuration.port + index,
                    configuration: workerConfiguration))
        }
        self.workers = workers
    }

    /// Binds every worker's socket, then serves until graceful shutdown, when every participant is
    /// ended (DTLS close_notify, a `left` event each) before the sockets close.
    public func run() async throws {
        // However run ends (a port already taken, say), the event stream ends too, so whoever drains it
        // (the attendance bridge) can finish its own shutdown.
        defer {
            eventSink.finish()
            roomEventSink.finish()
        }
        var bound: [(worker: Worker, socket: CInt)] = []
        do {
            for worker in workers {
                let socket = try RelaySocket.bind(
                    host: configuration.bindHost, port: worker.port, bufferBytes: configuration.socketBufferBytes)
                bound.append((worker, socket.descriptor))
                // A coalesced read can hold up to 64 KB, so each read slot must too (a smaller slot would
                // truncate it): 2 MB per worker for the reader's 32, reused from read to read.
                let offload = configuration.receiveOffload && RelaySocket.enableReceiveOffload(socket.descriptor)
                try await worker.loop.submit {
                    let batch = DatagramBatch(socket: socket.descriptor, family: socket.family)
                    let receiver = WorkerReceiver(
                        engine: worker.bound.value.engine, batch: batch, timer: worker.bound.value.timer,
                        delays: worker.bound.value.delays, reader: DatagramReader(socket: socket.descriptor, offload: offload))
                    try worker.loop.watch(socket.descriptor) { receiver.readable() }
                    worker.batch.value = batch
                    worker.reader.value = receiver
                    worker.bound.value.timer.engineDidWork()
                }.get()
                logger.info("relay worker listening", metadata: ["address": "\(configuration.bindHost):\(worker.port)"])
            }
            listening.withLock { $0 = true }
            try? await gracefulShutdown()
            listening.withLock { $0 = false }
            for pipe in pipes.removeAll() {
                try? await pipe.loop.submit { pipe.stop() }.get()
            }
            for worker in workers {
                let sink = eventSink
                try await worker.loop.submit {
                    worker.bound.value.timer.cancel()
                    guard var output = worker.batch.value else { return }
                    worker.bound.value.engine.shutdown(now: .now, output: &output)
                    output.flush()
                    while let event = worker.bound.value.engine.pollEvent() { sink.yield(event) }
                }.get()
            }
        } catch {
            for (worker, socket) in bound { try? await Self.closeSocket(socket, of: worker) }
            throw error
        }
        for (worker, socket) in bound { try? await Self.closeSocket(socket, of: worker) }
        eventSink.finish()
        roomEventSink.finish()
    }

    /// Stops watching a worker's socket and closes it. The send path goes with it, so nothing can write to
    /// the descriptor number once the kernel hands it to someone else.
    private static func closeSocket(_ socket: CInt, of worker: Worker) async throws {
        try await worker.loop.submit {
            worker.loop.unwatch(socket)
            worker.batch.value = nil
            worker.reader.value = nil
            close(socket)
        }.get()
    }

    deinit {
        for worker in workers { worker.loop.stop() }
    }

    /// The worker that owns a room (its home): a stable hash (FNV-1a) so every process agrees.
    func worker(forRoom roomID: String) -> Worker {
        workers[homeIndex(forRoom: roomID)]
    }

    func homeIndex(forRoom roomID: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in roomID.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(workers.count))
    }

    /// The worker holding a participant: the one its id names (`participantIDPrefix`), else the room's home.
    func worker(forRoom roomID: String, participant participantID: String) -> Worker {
        Self.workerIndex(participantID: participantID, workers: workers.count).map { workers[$0] } ?? worker(forRoom: roomID)
    }

    static func participantIDPrefix(worker index: Int) -> String { "w\(index)-" }

    /// The worker index a participant id starts with, if it names one of `workers`.
    static func workerIndex(participantID: String, workers: Int) -> Int? {
        let utf8 = participantID.utf8
        guard utf8.first == UInt8(ascii: "w"), let dash = utf8.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let digits = utf8[utf8.index(after: utf8.startIndex)..<dash]
        guard (1...4).contains(digits.count), digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let index = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        return index < workers ? index : nil
    }

    /// Negotiates an offer on the caller's thread, then admits it on the room's worker: parsing a large
    /// offer never holds up the media loop. A WHEP viewer of a room grown past `spreadAfter` goes to the
    /// worker with the fewest of its people, behind a cascade pipe from the room's home.
    public func join(_ request: RelayEngine.JoinRequest) async throws(RelayError) -> RelayEngine.JoinResult {
        let index = try await placeJoin(request)
        let result = try await join(request, onWorker: index)
        joinTracer.began(roomID: request.roomID, participantID: result.participantID)
        return result
    }

    /// Admits a join on one worker, whatever the room's home.
    func join(_ request: RelayEngine.JoinRequest, onWorker index: Int) async throws(RelayError) -> RelayEngine.JoinResult {
        let worker = workers[index]
        let prepared = try RelayEngine.prepare(
            request, configuration: worker.configuration, fingerprint: certificate.fingerprint)
        return try await onWorker(worker) { engine, _ throws(RelayError) in try engine.join(prepared, now: .now) }
    }

    /// A new offer on a connection made by `join` (a screen share added, an ICE restart), negotiated off
    /// the media loop like a join.
    public func renegotiate(
        participantID: String, request: RelayEngine.JoinRequest, continuing: RelayEngine.SessionContinuation
    ) async throws(RelayError) -> RelayEngine.JoinResult {
        let worker = worker(forRoom: request.roomID, participant: participantID)
        let prepared = try RelayEngine.prepare(
            request, configuration: worker.configuration, fingerprint: certificate.fingerprint, continuing: continuing)
        return try await onWorker(worker) { engine, _ throws(RelayError) in
            try engine.renegotiate(participantID: participantID, with: prepared, now: .now)
        }
    }

    /// Opens the room socket's subscribe connection; the offer is nil while nobody else publishes.
    public func openSubscription(_ request: RelayEngine.SubscriptionRequest) async throws(RelayError)
        -> (participantID: String, offer: SubscriptionOffer?)
    {
        try await onWorker(worker(forRoom: request.roomID)) { engine, _ throws(RelayError) in
            try engine.openSubscription(request, now: .now)
        }
    }

    /// A new offer for a subscribe connection when the room's tracks changed and none is outstanding.
    public func refreshSubscription(roomID: String, participantID: String) async -> SubscriptionOffer? {
        try? await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            engine.refreshSubscription(participantID: participantID, now: .now)
        }
    }

    /// How large a subscriber shows each video it receives (by mid; 0×0: hidden), so each consumer forwards
    /// the simulcast layer that fits, or nothing.
    public func setPreferredSizes(roomID: String, participantID: String, sizes: [String: (width: Int, height: Int)]) async {
        _ = try? await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            for (mid, size) in sizes {
                engine.setPreferredSize(participantID: participantID, mid: mid, width: size.width, height: size.height, now: .now)
            }
        }
    }

    /// The client's answer to the latest subscribe offer, parsed here rather than on the media loop.
    public func answerSubscription(roomID: String, participantID: String, answer: String) async throws(RelayError)
        -> SubscriptionOffer?
    {
        let parsed = try SubscriptionAnswer(
            parsing: answer, maximumSections: configuration.engine.limits.mediaSectionsPerSubscription)
        return try await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            try engine.answerSubscription(participantID: participantID, answer: parsed, now: .now)
        }
    }

    /// An ICE restart on a connection the peer offered (WHIP/WHEP PATCH): the relay's new credentials, or
    /// nil when the ufrag is the current one (nothing to restart).
    public func restartICE(roomID: String, participantID: String, remoteUfrag: String) async throws(RelayError)
        -> RelayEngine.ICECredentials?
    {
        try await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            try engine.restartICE(participantID: participantID, remoteUfrag: remoteUfrag, now: .now)
        }
    }

    /// An ICE restart on a subscribe connection: a new offer with new credentials.
    public func restartSubscriptionICE(roomID: String, participantID: String) async throws(RelayError)
        -> SubscriptionOffer?
    {
        try await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            try engine.restartSubscriptionICE(participantID: participantID, now: .now)
        }
    }

    /// The relay's current ICE ufrag on a connection (the WHIP/WHEP entity tag).
    public func iceUfrag(roomID: String, participantID: String) async -> String? {
        try? await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            engine.iceUfrag(participantID: participantID)
        }
    }

    /// What a participant publishes (microphone, camera, screen), for the room's announcements.
    public func publishedSources(roomID: String, participantID: String) async -> [TrackSource] {
        (try? await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, _ throws(RelayError) in
            engine.publishedSources(participantID: participantID)
        }) ?? []
    }

    /// Runs `body` on the worker's loop, then hands on the engine's events and re-arms its timer.
    func onWorker<T: Sendable>(
        _ worker: Worker, _ body: @escaping @Sendable (RelayEngine, inout WorkerOutput) throws(RelayError) -> T
    ) async throws(RelayError) -> T {
        let result: Result<T, RelayError>
        do {
            result = try await worker.loop.submit {
                var output = WorkerOutput(batch: worker.batch.value)
                let outcome = Result { () throws(RelayError) in try body(worker.bound.value.engine, &output) }
                output.batch?.flush()
                worker.bound.value.timer.engineDidWork()
                return outcome
            }.get()
        } catch {
            throw .internalFailure("relay worker unavailable: \(error)")
        }
        return try result.get()
    }

    /// Ends a participant (WHIP/WHEP DELETE).
    public func leave(roomID: String, participantID: String) async throws(RelayError) {
        try await onWorker(worker(forRoom: roomID, participant: participantID)) { engine, output throws(RelayError) in
            try engine.leave(participantID: participantID, now: .now, output: &output)
        }
    }

    /// Ends every connection in a room (its session was completed or cancelled), on the room's worker. The
    /// close_notify datagrams go out through the worker's send path, as at shutdown.
    public func closeRoom(roomID: String) async {
        // A room spread over workers (`spreadAfter`) has people on each; every worker remembers it closed.
        for worker in workers {
            do {
                try await onWorker(worker) { engine, output throws(RelayError) in
                    engine.closeRoom(roomID, now: .now, output: &output)
                }
            } catch {
                logger.warning("closing room \(roomID): \(error)")
            }
        }
    }

    /// A room's connections with their live statistics (operators, the load tester, tests).
    public func connections(roomID: String) async -> [RelayEngine.ConnectionView] {
        var views: [RelayEngine.ConnectionView] = []
        for worker in workers {
            views += (try? await onWorker(worker) { engine, _ throws(RelayError) in
                engine.connections(inRoom: roomID, now: .now)
            }) ?? []
        }
        return views
    }

    /// Who owns a participant id in a room, so only they (or the room's host) may end it.
    public func identity(roomID: String, participantID: String) async -> ParticipantIdentity? {
        let worker = worker(forRoom: roomID, participant: participantID)
        let identity = try? await worker.loop.submit {
            worker.bound.value.engine.identity(participantID: participantID)
        }.get()
        guard let identity, identity.roomID == roomID else { return nil }
        return identity
    }

    public struct Snapshot: Sendable {
        public var counters = RelayCounters()
        public var participants = 0
        public var rooms = 0
        /// The send path's syscalls, messages and datagrams, and what the kernel would not take.
        public var send = SendStatistics()
        /// Datagrams that arrived inside a coalesced (GRO) read, and such reads.
        public var coalescedDatagrams: UInt64 = 0
        public var coalescedReads: UInt64 = 0
        /// How long received datagrams waited in the relay, read to the end of their batch's send.
        public var batchDelay = BatchDelayHistogram.empty()
        /// Each worker's share, in worker order (a worker that did not answer is left out).
        public var workers: [WorkerLoad] = []
        /// Where the subscribers' bandwidth estimates are now.
        public var estimates = EstimateDistribution()
        /// The loss subscribers report now, per leg and per room (its worst leg; a room spread over workers
        /// counted once).
        public var legLoss = LossDistribution()
        public var roomLoss = LossDistribution()
    }

    /// What the workers' `DatagramBatch`es handed the kernel.
    public struct SendStatistics: Sendable {
        /// `sendmmsg` calls, the messages in them (a GSO run is one), and the datagrams those carried.
        public var syscalls: UInt64 = 0
        public var messages: UInt64 = 0
        public var datagrams: UInt64 = 0
        /// Datagrams the kernel would not take (socket buffer full or destination unreachable).
        public var dropped: UInt64 = 0

        init() {}

        init(of batch: DatagramBatch) {
            syscalls = batch.sendCalls
            messages = batch.messagesSent
            datagrams = batch.sent
            dropped = batch.dropped
        }

        mutating func add(_ other: SendStatistics) {
            syscalls += other.syscalls
            messages += other.messages
            datagrams += other.datagrams
            dropped += other.dropped
        }
    }

    /// One worker's participants, rooms and forwarded packets.
    public struct WorkerLoad: Sendable {
        public var worker: Int
        public var participants: Int
        public var rooms: Int
        public var rtpForwarded: UInt64
        public var bytesOut: UInt64
        /// Time its event loop spent working rather than waiting, and how often it woke.
        public var busyNanoseconds: UInt64 = 0
        public var wakeUps: UInt64 = 0
    }

    /// How many workers (event loops with a socket each) the relay runs.
    public var workerCount: Int { workers.count }

    /// Nil when worker `index` is listening and its event loop ran a task for the caller; else why not. It
    /// does not time out: a stuck loop never answers, so the caller bounds the wait (`/readyz`).
    public func workerProblem(_ index: Int) async -> String? {
        guard workers.indices.contains(index) else { return "no such worker" }
        guard isListening else { return "not listening" }
        let worker = workers[index]
        guard let bound = try? await worker.loop.submit({ worker.batch.value != nil }).get() else {
            return "its event loop is gone"
        }
        return bound ? nil : "its socket is not bound"
    }

    /// Counters summed over workers, and each worker's load, for `/metrics`.
    public func snapshot() async -> Snapshot {
        var total = Snapshot()
        var worstByRoom: [String: UInt8] = [:]
        for (index, worker) in workers.enumerated() {
            guard let part = try? await worker.loop.submit({
                (worker.bound.value.engine.counters, worker.bound.value.engine.participantCount, worker.bound.value.engine.roomCount,
                    worker.batch.value.map { SendStatistics(of: $0) } ?? SendStatistics(), worker.bound.value.delays.histogram,
                    worker.reader.value.map { ($0.coalescedDatagrams, $0.coalescedReads) } ?? (0, 0),
                    worker.bound.value.engine.estimateDistribution, worker.bound.value.engine.reportedLoss,
                    (busy: worker.loop.busyNanoseconds, wakeUps: worker.loop.wakeUps))
            }).get() else { continue }
            total.estimates.add(part.6)
            total.legLoss.add(part.7.legs)
            worstByRoom.merge(part.7.worstByRoom, uniquingKeysWith: max)
            total.coalescedDatagrams += part.5.0
            total.coalescedReads += part.5.1
            total.counters.add(part.0)
            total.participants += part.1
            total.rooms += part.2
            total.send.add(part.3)
            total.batchDelay.add(part.4)
            total.workers.append(WorkerLoad(
                worker: index, participants: part.1, rooms: part.2, rtpForwarded: part.0.rtpForwarded, bytesOut: part.0.bytesOut,
                busyNanoseconds: part.8.busy, wakeUps: part.8.wakeUps))
        }
        for loss in worstByRoom.values { total.roomLoss.add(fractionLost: loss) }
        return total
    }

    /// The worker's send path for signaling calls (a leave's close_notify); nothing is sent before the
    /// socket is bound.
    struct WorkerOutput: DatagramOutput {
        let batch: DatagramBatch?

        mutating func send(_ datagram: UnsafeRawBufferPointer, to destination: TransportAddress) {
            batch?.send(datagram, to: destination)
        }
    }

    /// The wall clock as a 64-bit NTP timestamp (RFC 5905: seconds since 1900 . 2^-32 fraction).
    static func ntpNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let seconds = UInt64(now.tv_sec) + 2_208_988_800
        let fraction = (UInt64(now.tv_nsec) << 32) / 1_000_000_000
        return seconds << 32 | fraction
    }
}
