import Hummingbird
import Logging
import Telemetry

/// Builds the control plane's HTTP application.
public enum ControlPlaneApplication {
    /// Every route under its middleware: security headers outermost (every answer gets them, errors too),
    /// then the request id and the request's span, then the request log (with secret query values redacted),
    /// then JSON errors, so even authentication failures are JSON, then the per-address rate limits, before any
    /// handler spends bcrypt or SQL on a flood.
    public static func makeRouter(services: ControlPlaneServices) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        Self.addTracing(to: router)
        // Requests by route (the pattern, a bounded set) and status, with latency (`Telemetry`).
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: RedactingLogRequestsMiddleware(.info))
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: services.rateLimitMiddleware(context: AppRequestContext.self))
        OpenAPIRoutes().register(on: router)
        if services.configuration.smtpHost.isEmpty {
            DevMailRoutes(mail: MailDirectory(directory: services.configuration.mailDirectory)).register(on: router)
        }
        // API access tokens authenticate /api only: signaling routes carry room tokens in the same header.
        let api = router.group("api").add(middleware: AuthenticationMiddleware(tokens: services.accessTokens, database: services.db))
        AuthRoutes(services: services).register(on: api)
        ProfileRoutes(services: services).register(on: api)
        SessionRoutes(services: services).register(on: api)
        BookingRoutes(services: services).register(on: api)
        RequestRoutes(services: services).register(on: api)
        FeedbackRoutes(services: services).register(on: api)
        NotificationRoutes(services: services).register(on: api)
        FollowRoutes(services: services).register(on: api)
        MetricsRoutes(services: services).register(on: api)
        RoomTokenRoutes(services: services).register(on: api)
        StatisticsRoutes(services: services).register(on: api)
        StaffRoutes(services: services).register(on: api)
        return router
    }

    /// The HTTP server bound to the configured host and port.
    public static func makeApplication(services: ControlPlaneServices, logger: Logger) -> some ApplicationProtocol {
        Application(
            router: makeRouter(services: services),
            configuration: .init(
                address: .hostname(services.configuration.httpHost, port: services.configuration.httpPort),
                serverName: "PeerLearn"),
            logger: logger)
    }

    /// The request id in the task (every log line of the request carries it, `X-Request-Id` answers it), then
    /// the request's server span (a no-op unless tracing is configured), named by route pattern, with secret
    /// query values redacted as in the request log.
    public static func addTracing<Context: RequestContext>(to router: Router<Context>) {
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: TracingMiddleware(
            redactingQueryParameters: RedactingLogRequestsMiddleware<Context>.secretParameters))
    }
}
