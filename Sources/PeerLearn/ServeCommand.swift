import ArgumentParser
import ControlPlane
import Foundation
import HummingbirdWebSocket
import RelayServer
import RoomToken
import Signaling
import Telemetry
import Hummingbird
import NIOCore
import Logging
import ServiceLifecycle

/// `peerlearn serve`: runs the HTTP API (and, later, the relay) in one ServiceGroup that shuts down
/// gracefully on SIGTERM or SIGINT: the server stops accepting, finishes in-flight requests, then the
/// database pools close.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server.")

    @Option(name: .shortAndLong, help: "Configuration file (JSON). Missing file: built-in defaults.")
    var config: String = "config/peerlearn.json"

    @Option(help: "Override the HTTP port.")
    var port: Int?

    @Option(help: "Directory of static files (the web app and the relay demo).")
    var publicDirectory: String = "Public"

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "info"

    @Flag(help: "On an empty database, add a demo mentor, a demo learner and a few public sessions (credentials are logged).")
    var demo = false

    func run() async throws {
        Telemetry.bootstrap()
        Telemetry.bootstrapLogging()
        var logger = Logger(label: "peerlearn")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = try PeerLearnConfiguration.load(path: config)
        if let port { configuration.httpPort = port }
        try configuration.validate()
        let tracing = try Telemetry.bootstrapTracing(
            endpoint: configuration.tracingEndpoint, serviceName: configuration.tracingServiceName)

        let services = try await ControlPlaneServices(configuration: configuration, logger: logger)
        if demo { try await DemoData.seedIfEmpty(on: services.database.db, logger: logger) }
        let relaySettings = try RelaySettings.load(path: config)
        var relayConfiguration = RelayService.Configuration(
            bindHost: relaySettings.bindHost,
            announcedAddresses: relaySettings.announcedAddresses.isEmpty
                ? [relaySettings.bindHost] : relaySettings.announcedAddresses,
            port: relaySettings.port, workers: relaySettings.workerCount)
        relaySettings.apply(to: &relayConfiguration)
        let relay = try RelayService(configuration: relayConfiguration, logger: logger)
        // A crash leaves connections without left_at: close them where their last snapshot ended.
        let ledger = AttendanceLedger(services: services)
        try await ledger.closeDangling()
        // A crash between a charge and its booking's commit leaves a pending payment: ask the processor.
        try await PaymentRecovery(services: services).reconcile()

        // The API router already carries security headers, the redacting request log and the per-address
        // rate limits (their rules name /whip, /whep and /ws/rooms too), so the pages and signaling added
        // here get them as well.
        let router = ControlPlaneApplication.makeRouter(services: services)
        router.add(middleware: FileMiddleware(publicDirectory, searchForIndexHtml: true, logger: logger))
        let signaling = SignalingRoutes(
            relay: relay, verifier: try await RoomTokenVerifier(secret: services.roomTokenSecret),
            admission: DatabaseRoomAdmission(database: services.database.db),
            joinThrottle: { [services] in services.joinThrottle(userID: $0) })
        signaling.register(on: router)
        let readiness = ReadinessService(services: services)
        OperationsRoutes(relay: relay, readiness: [
            ReadinessCheck("database") { await readiness.database() },
            ReadinessCheck("outbox") { await readiness.outbox() },
        ]).register(on: router)
        // A refused WebSocket upgrade would be a bare 400, so the limiter on the upgrade router only marks the
        // request; the room socket then refuses in-band (`rate_limited`, close 4429).
        let webSocketRouter = Router(context: RoomSocketRequestContext.self)
        webSocketRouter.add(middleware: UpgradeRateLimitMiddleware(limits: services.rateLimitMiddleware()))
        let rooms = RoomWebSocketRoutes(signaling: signaling)
        rooms.register(on: webSocketRouter)
        rooms.registerRefusals(on: router)
        // Dominant-speaker changes from the relay reach the room sockets; ends when the relay's run does.
        let roomEvents = Task { await rooms.forwardRoomEvents() }
        defer { roomEvents.cancel() }
        // Completing or cancelling a session ends its room in this process: the room sockets hear
        // `session-ended` (close 4410) and the relay closes every connection in it, WHIP/WHEP ones too.
        // The sockets are told first, so `session-ended` leads the close_notify their browsers see.
        services.sessionEnd.connect { [rooms, relay] roomID, reason in
            let ending: SessionEndReason = switch reason {
            case .completed: .completed
            case .cancelled: .cancelled
            }
            await rooms.endSession(room: roomID, reason: ending)
            await relay.closeRoom(roomID: roomID)
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(
                address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "PeerLearn"),
            logger: logger)
        let bridge = AttendanceService(bridge: AttendanceBridge(ledger: ledger, logger: logger), events: relay.events)
        logger.info(
            "PeerLearn on http://\(configuration.httpHost):\(configuration.httpPort) (web app: /, relay demo: /relay-demo.html), relay UDP \(relaySettings.bindHost):\(relaySettings.port), database: \(services.database.backend.rawValue)")
        // Services stop in reverse order: HTTP first (no new joins), then the relay (every participant
        // gets a `left` event), then the attendance writer drains, then the outbox, then the database.
        // The span exporter stops last, so it sends what the others ended while stopping.
        var members: [ServiceGroupConfiguration.ServiceConfiguration] = tracing.map { [.init(service: $0)] } ?? []
        members += [.init(service: services.database), .init(service: RefundDispatcher(services: services))]
        // Without an SMTP relay, mail is delivered as files a developer reads at /dev/mail.
        let transport: any EmailTransport = configuration.smtpHost.isEmpty
            ? MailDirectory(directory: configuration.mailDirectory)
            : SMTPTransport(host: configuration.smtpHost, port: configuration.smtpPort)
        members.append(.init(service: OutboxDispatcher(
            database: services.database, transport: transport,
            from: configuration.emailFrom,
            interval: .seconds(configuration.smtpHost.isEmpty ? 1 : configuration.outboxPollSeconds), logger: logger,
            now: services.clock)))
        members += [
            .init(service: SessionAutopilot(services: services, logger: logger)),
            .init(service: RelayNodeReaper(services: services, logger: logger)),
            .init(service: bridge), .init(service: relay), .init(service: app),
        ]
        // A service that fails (the relay's port is taken, say) shuts the others down gracefully in
        // reverse order, as SIGTERM does: cancelling them all at once would close the database under
        // the refund dispatcher's feet, and a force-unwrapped handle there ends the process with a trap.
        for index in members.indices { members[index].failureTerminationBehavior = .gracefullyShutdownGroup }
        let group = ServiceGroup(
            configuration: .init(
                services: members,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// The room WebSocket's request context: Hummingbird's WebSocket context plus the TCP peer, so upgrades
/// are rate-limited per client address like every other join, and the limiter's verdict.
struct RoomSocketRequestContext: WebSocketRequestContext, RemoteAddressRequestContext, UpgradeRateLimitContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let remoteAddress: SocketAddress?
    var upgradeRetryAfter: Int?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The per-address limiter on the WebSocket upgrade router: it never refuses the upgrade (Hummingbird would
/// answer a bare 400), it records the refusal for the room socket to answer in-band.
struct UpgradeRateLimitMiddleware: RouterMiddleware {
    typealias Context = RoomSocketRequestContext
    let limits: RateLimitMiddleware<RoomSocketRequestContext>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.upgradeRetryAfter = limits.refusal(request, context: context)
        return try await next(request, context)
    }
}
