import ArgumentParser
import ControlPlane
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Relay
import RelayServer
import RoomToken
import ServiceLifecycle
import Signaling
import Telemetry

/// `peerlearn relay`: the relay alone (UDP media plus WHIP/WHEP, the room WebSocket and
/// /healthz + /metrics on its own HTTP port), against a control plane running elsewhere. It shares
/// only the room-token key, so it admits peers by token without a database call. That is the shape
/// that scales out: more relay processes, one control plane.
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay", abstract: "Run the media relay on its own, admitting peers by room token.")

    @Option(name: .shortAndLong, help: "Configuration file (JSON): its roomTokenSigningKey and relay keys.")
    var config: String = "config/peerlearn.json"

    @Option(help: "HTTP port for signaling (default: the configured httpPort + 1).")
    var port: Int?

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "info"

    @Option(help: "This node's id in the registry (default: relay-<UDP port>). Used with a PostgreSQL databaseURL.")
    var nodeID: String?

    @Option(help: "The base URL browsers reach this node's signaling at (default: http://<httpHost>:<port>).")
    var publicURL: String?

    @Option(help: "Participants this node takes before placement prefers others (default: participantsPerWorker x workers).")
    var capacity: Int?

    func run() async throws {
        Telemetry.bootstrap()
        Telemetry.bootstrapLogging()
        var logger = Logger(label: "peerlearn.relay")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration = try PeerLearnConfiguration.load(path: config)
        let tracing = try Telemetry.bootstrapTracing(
            endpoint: configuration.tracingEndpoint, serviceName: configuration.tracingServiceName)
        let settings = try RelaySettings.load(path: config)
        let key = try Self.roomTokenKey(configuration)
        var relayConfiguration = RelayService.Configuration(
            bindHost: settings.bindHost,
            announcedAddresses: settings.announcedAddresses.isEmpty ? [settings.bindHost] : settings.announcedAddresses,
            port: settings.port, workers: settings.workerCount)
        settings.apply(to: &relayConfiguration)
        let relay = try RelayService(configuration: relayConfiguration, logger: logger)

        let router = Router(context: AppRequestContext.self)  // carries the TCP peer for per-address limits
        router.add(middleware: SecurityHeadersMiddleware())
        ControlPlaneApplication.addTracing(to: router)
        // Per-address and per-account limits on joins, as in `serve` (this process has no login routes).
        let limiter = RateLimiter(maximumKeys: configuration.rateLimit.maxTracked)
        let limits = configuration.rateLimit
        let joinRules: [RateLimitRule] = limits.enabled ? [
            .init(.post, "/whip/", bucket: "join", limit: .perMinute(limits.joinsPerMinute)),
            .init(.post, "/whep/", bucket: "join", limit: .perMinute(limits.joinsPerMinute)),
            .init(.get, "/ws/rooms/", bucket: "join", limit: .perMinute(limits.joinsPerMinute)),
        ] + ControlPlaneServices.operationsRules(limits) : []
        let clients = ClientAddressPolicy(exemptLoopback: limits.exemptLoopback, trustForwardedFor: limits.trustForwardedFor)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: RateLimitMiddleware(limiter: limiter, rules: joinRules, clients: clients))
        // Pages are served by the control plane's origin, so the relay's signaling is cross-origin
        // (RFC 9725 §4.1 expects WHIP endpoints to answer CORS). Location must be readable for DELETE.
        router.add(middleware: CORSMiddleware(
            allowOrigin: .originBased, allowHeaders: [.contentType, .authorization],
            allowMethods: [.post, .delete, .patch, .options, .get], exposedHeaders: ["Location"]))
        let httpPort = port ?? configuration.httpPort + 1
        let nodeID = self.nodeID ?? "relay-\(settings.port)"
        // With the shared (PostgreSQL) database this node is one of a cluster: rooms placed on other nodes
        // are piped from there for viewers the control plane sends here.
        let control = configuration.databaseURL.isEmpty
            ? nil : try await ControlPlaneServices(configuration: configuration, logger: logger)
        var cascade: NodeCascade?
        if let control {
            cascade = NodeCascade(
                nodeID: nodeID, registry: control.relays, relay: relay, signer: try await RoomTokenSigner(secret: key),
                logger: logger)
        }
        let signaling = SignalingRoutes(
            relay: relay, verifier: try await RoomTokenVerifier(secret: key),
            joinThrottle: { user in
                guard limits.enabled else { return nil }
                let decision = limiter.take("join|user|\(user)", limit: .perMinute(limits.accountPerMinute))
                return decision.allowed ? nil : decision.retryAfter
            }, cascade: cascade)
        signaling.register(on: router)
        // A cluster node needs the shared database; a standalone one only its workers.
        let readiness = control.map { ReadinessService(services: $0) }
        OperationsRoutes(relay: relay, readiness: readiness.map { readiness in
            [ReadinessCheck("database") { await readiness.database() }]
        } ?? []).register(on: router)
        let rooms = RoomWebSocketRoutes(signaling: signaling)
        rooms.registerRefusals(on: router)
        let webSocketRouter = Router(context: RoomSocketRequestContext.self)
        webSocketRouter.add(middleware: UpgradeRateLimitMiddleware(
            limits: RateLimitMiddleware(limiter: limiter, rules: joinRules, clients: clients)))
        rooms.register(on: webSocketRouter)
        // Dominant-speaker changes from the relay reach the room sockets; ends when the relay's run does.
        let roomEvents = Task { await rooms.forwardRoomEvents() }
        defer { roomEvents.cancel() }
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(address: .hostname(configuration.httpHost, port: httpPort), serverName: "PeerLearn relay"),
            logger: logger)
        logger.info("relay signaling on http://\(configuration.httpHost):\(httpPort), UDP \(settings.bindHost):\(settings.port)")
        var services: [ServiceGroupConfiguration.ServiceConfiguration]
        if let control {
            // The node reports attendance through its spool, and its agent (last in the group, so the first to
            // stop) heartbeats into the registry. Shutdown runs backwards: leave the registry, stop signaling,
            // end the relay (departures spooled), apply the spool, close the database.
            let udp = relayConfiguration.announcedAddresses.flatMap { host in
                (0..<max(1, settings.workerCount)).map { "\(host):\(settings.port + $0)" }
            }
            let node = try RelayNode(
                id: nodeID, signalingURL: publicURL ?? "http://\(configuration.httpHost):\(httpPort)", udpAddresses: udp,
                capacity: capacity ?? settings.participantsPerWorker * max(1, settings.workerCount)
            ).validated()
            let spool = try AttendanceSpool(
                path: (configuration.dataDirectory as NSString).appendingPathComponent("relay-\(node.id)-attendance.jsonl"),
                logger: logger)
            let drainer = AttendanceSpoolDrainer(
                spool: spool, ledger: AttendanceLedger(services: control), nodeID: node.id, logger: logger)
            services = [
                .init(service: control.database),
                .init(service: NodeAttendanceService(spool: spool, drainer: drainer, events: relay.events, logger: logger)),
                .init(service: relay), .init(service: app),
                .init(service: RelayNodeAgent(
                    node: node, registry: control.relays, database: control.database, relay: relay, rooms: rooms,
                    logger: logger)),
            ]
        } else {
            // Without the shared database, attendance events are logged for a collector.
            let events = EventLogService(events: relay.events, logger: logger)
            services = [.init(service: events), .init(service: relay), .init(service: app)]
        }
        // The span exporter stops last, so it sends what the others ended while stopping.
        if let tracing { services.insert(.init(service: tracing), at: 0) }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    struct MissingKey: Error, CustomStringConvertible {
        let description: String
    }

    /// The control plane's room-token key: configured (base64), or its key file in a shared data directory.
    static func roomTokenKey(_ configuration: PeerLearnConfiguration) throws -> [UInt8] {
        let file = (configuration.dataDirectory as NSString).appendingPathComponent("room-token.key")
        let text = configuration.roomTokenSigningKey.isEmpty
            ? (try? String(contentsOfFile: file, encoding: .utf8)) : configuration.roomTokenSigningKey
        guard let text, let key = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count >= 32
        else {
            throw MissingKey(
                description: "the relay needs the control plane's room-token key: set roomTokenSigningKey "
                    + "(PEERLEARN_ROOM_TOKEN_SIGNING_KEY, base64 of ≥ 32 bytes) or share its data directory")
        }
        return [UInt8](key)
    }
}

/// Logs the relay's attendance events as structured lines when no database is attached.
struct EventLogService: Service {
    let events: AsyncStream<Relay.RelayEvent>
    let logger: Logger

    func run() async throws {
        for await event in events {
            switch event {
            case .joined(let who):
                logger.info("joined", metadata: ["room": "\(who.roomID)", "user": "\(who.userID)", "role": "\(who.role.rawValue)"])
            case .statistics(let who, let statistics):
                logger.debug("statistics", metadata: ["room": "\(who.roomID)", "user": "\(who.userID)", "stats": "\(statistics)"])
            case .left(let who, let statistics, let reason):
                logger.info("left", metadata: [
                    "room": "\(who.roomID)", "user": "\(who.userID)", "reason": "\(reason.rawValue)",
                    "stats": "\(statistics)",
                ])
            }
        }
        try? await gracefulShutdown()
    }
}
