import DTLS
import Logging
import NIOCore
import NIOPosix
import Relay
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Runs the relay's workers: one UDP socket and one `RelayEngine` per event loop, each on its own
/// port (`port`, `port + 1`, …), like mediasoup's workers. A room is pinned to one worker by its id,
/// so every packet of a room is handled on one thread with no locks and no hand-offs.
public final class RelayService: Service, Sendable {
    public struct Configuration: Sendable {
        public var bindHost: String
        /// Addresses put in host candidates; NAT'd servers list their public address here.
        public var announcedAddresses: [String]
        public var port: Int
        public var workers: Int
        /// Each worker socket's kernel send and receive buffer.
        public var socketBufferBytes = 4 << 20
        public var engine: RelayConfiguration

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
        let loop: any EventLoop
        let engine: NIOLoopBound<RelayEngine>
        /// The send path, made when the socket is bound in `run()`.
        let batch: NIOLoopBoundBox<DatagramBatch?>
        let port: Int
        /// The engine's configuration (its port in candidates), for negotiating offers off its loop.
        let configuration: RelayConfiguration
    }

    public let configuration: Configuration
    public let certificate: DTLSCertificate
    public let events: AsyncStream<RelayEvent>
    private let eventSink: AsyncStream<RelayEvent>.Continuation
    private let workers: [Worker]
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "peerlearn.relay")) throws
    {
        self.configuration = configuration
        self.certificate = try DTLSCertificate()
        self.group = group
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: RelayEvent.self, bufferingPolicy: .unbounded)
        let ntp = Self.ntpNow()
        let start = ContinuousClock.now
        var loops = group.makeIterator()
        var workers: [Worker] = []
        for index in 0..<configuration.workers {
            let loop = loops.next()!
            var engineConfiguration = configuration.engine
            engineConfiguration.port = UInt16(configuration.port + index)
            engineConfiguration.announcedAddresses = configuration.announcedAddresses
            let workerConfiguration = engineConfiguration
            let certificate = self.certificate
            let engine = try loop.submit {
                NIOLoopBound(
                    RelayEngine(configuration: workerConfiguration, certificate: certificate, ntpAtStart: ntp,
                        startInstant: start), eventLoop: loop)
            }.wait()
            workers.append(
                Worker(
                    loop: loop, engine: engine, batch: .makeEmptyBox(valueType: DatagramBatch.self, eventLoop: loop),
                    port: configuration.port + index, configuration: workerConfiguration))
        }
        self.workers = workers
    }

    /// Binds every worker's socket, then serves until graceful shutdown, when every participant is
    /// ended (DTLS close_notify, a `left` event each) before the sockets close.
    public func run() async throws {
        // However run ends (a port already taken, say), the event stream ends too, so whoever drains it
        // (the attendance bridge) can finish its own shutdown.
        defer { eventSink.finish() }
        var channels: [any Channel] = []
        for worker in workers {
            let engine = worker.engine
            let batchBox = worker.batch
            let socket = try RelaySocket.bind(
                host: configuration.bindHost, port: worker.port, bufferBytes: configuration.socketBufferBytes)
            let channel = try await DatagramBootstrap(group: worker.loop)
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2_048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let batch = DatagramBatch(socket: socket.descriptor, family: socket.family)
                        batchBox.value = batch
                        try channel.pipeline.syncOperations.addHandler(RelayChannelHandler(engine: engine.value, batch: batch))
                    }
                }
                .withBoundSocket(socket.descriptor).get()
            channels.append(channel)
            let sink = eventSink
            worker.loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
                guard var output = batchBox.value else { return }
                engine.value.handleTimeout(now: .now, output: &output)
                output.flush()
                while let event = engine.value.pollEvent() { sink.yield(event) }
            }
            logger.info("relay worker listening", metadata: ["address": "\(configuration.bindHost):\(worker.port)"])
        }
        try? await gracefulShutdown()
        for (worker, channel) in zip(workers, channels) {
            let sink = eventSink
            try await worker.loop.submit {
                guard var output = worker.batch.value else { return }
                worker.engine.value.shutdown(now: .now, output: &output)
                output.flush()
                while let event = worker.engine.value.pollEvent() { sink.yield(event) }
            }.get()
            try await channel.close()
        }
        eventSink.finish()
    }

    /// The worker that owns a room: a stable hash (FNV-1a) so every process agrees.
    func worker(forRoom roomID: String) -> Worker {
        var hash: UInt32 = 2_166_136_261
        for byte in roomID.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return workers[Int(hash % UInt32(workers.count))]
    }

    /// Negotiates an offer on the caller's thread, then admits it on the room's worker: parsing a large
    /// offer never holds up the media loop.
    public func join(_ request: RelayEngine.JoinRequest) async throws(RelayError) -> RelayEngine.JoinResult {
        let worker = worker(forRoom: request.roomID)
        let prepared = try RelayEngine.prepare(
            request, configuration: worker.configuration, fingerprint: certificate.fingerprint)
        let sink = eventSink
        let result: Result<RelayEngine.JoinResult, RelayError>
        do {
            result = try await worker.loop.submit {
                let outcome = Result { () throws(RelayError) in try worker.engine.value.join(prepared, now: .now) }
                while let event = worker.engine.value.pollEvent() { sink.yield(event) }
                return outcome
            }.get()
        } catch {
            throw .internalFailure("relay worker unavailable: \(error)")
        }
        return try result.get()
    }

    /// Ends a participant (WHIP/WHEP DELETE).
    public func leave(roomID: String, participantID: String) async throws(RelayError) {
        let worker = worker(forRoom: roomID)
        let sink = eventSink
        let result: Result<Void, RelayError>
        do {
            result = try await worker.loop.submit {
                var output = CountingOutput()
                let outcome = Result { () throws(RelayError) in
                    try worker.engine.value.leave(participantID: participantID, now: .now, output: &output)
                }
                while let event = worker.engine.value.pollEvent() { sink.yield(event) }
                return outcome
            }.get()
        } catch {
            throw .internalFailure("relay worker unavailable: \(error)")
        }
        try result.get()
    }

    /// Who owns a participant id in a room, so only they (or the room's host) may end it.
    public func identity(roomID: String, participantID: String) async -> ParticipantIdentity? {
        let worker = worker(forRoom: roomID)
        let identity = try? await worker.loop.submit {
            worker.engine.value.identity(participantID: participantID)
        }.get()
        guard let identity, identity.roomID == roomID else { return nil }
        return identity
    }

    public struct Snapshot: Sendable {
        public var counters = RelayCounters()
        public var participants = 0
        public var rooms = 0
        /// Datagrams the kernel would not take (socket buffer full or destination unreachable).
        public var sendDropped: UInt64 = 0
    }

    /// Counters summed over workers, for `/metrics`.
    public func snapshot() async -> Snapshot {
        var total = Snapshot()
        for worker in workers {
            guard let part = try? await worker.loop.submit({
                (worker.engine.value.counters, worker.engine.value.participantCount, worker.engine.value.roomCount,
                    worker.batch.value?.dropped ?? 0)
            }).get() else { continue }
            total.counters.add(part.0)
            total.participants += part.1
            total.rooms += part.2
            total.sendDropped += part.3
        }
        return total
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
