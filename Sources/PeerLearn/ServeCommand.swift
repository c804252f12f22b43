import ArgumentParser
import ControlPlane
import Hummingbird
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

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "peerlearn")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = try PeerLearnConfiguration.load(path: config)
        if let port { configuration.httpPort = port }
        try configuration.validate()

        let services = try await ControlPlaneServices(configuration: configuration, logger: logger)
        let app = ControlPlaneApplication.makeApplication(services: services, logger: logger)
        logger.info("control plane on http://\(configuration.httpHost):\(configuration.httpPort), database: \(services.database.backend.rawValue)")
        // Order matters: services stop in reverse, so the database outlives everything that uses it.
        var members: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: services.database)]
        if !configuration.smtpHost.isEmpty {
            members.append(.init(service: OutboxDispatcher(
                database: services.database,
                transport: SMTPTransport(host: configuration.smtpHost, port: configuration.smtpPort),
                from: configuration.emailFrom, interval: .seconds(configuration.outboxPollSeconds), logger: logger)))
        }
        members.append(.init(service: app))
        let group = ServiceGroup(
            configuration: .init(
                services: members,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
