import FluentKit
import Foundation
import Hummingbird
import Logging
import RoomToken

/// Everything a route handler needs, built once at start-up.
public struct ControlPlaneServices: Sendable {
    public let configuration: PeerLearnConfiguration
    public let database: PeerLearnDatabase
    public let payments: any PaymentProvider
    public let roomTokens: RoomTokenSigner
    /// The key the relay needs to verify room tokens (`RoomTokenVerifier(secret:)`).
    public let roomTokenSecret: [UInt8]
    let accessTokens: AccessTokenService
    let passwords: PasswordHasher
    /// Token buckets for login, registration, room tokens and joins; shared with signaling by `serve`.
    public let rateLimiter: RateLimiter
    /// Ends a session's live room after its completion or cancellation commits; `serve` connects it.
    public let sessionEnd = SessionEndHook()
    /// The relay nodes and the rooms placed on them (empty with `serve`'s one process).
    public var relays: RelayRegistry { RelayRegistry(database: database, now: now) }
    /// The clock; tests move it to cross join windows and request expiry. Every service reads time from it:
    /// domain times (schedules, join windows, expiries, booking_time, read_at, refund back-off) and the
    /// stamps the services write themselves (the booking flow's rows, metrics, sent mail). Only Fluent's own
    /// `@Timestamp` columns are written with `Date()` by Fluent.
    let now: @Sendable () -> Date
    /// `now`, for the services `serve` builds beside these (the outbox dispatcher).
    public var clock: @Sendable () -> Date { now }
    /// PostgreSQL's booking batches (`BookingService+Postgres`); nil on SQLite, which has its group commit.
    let bookingBatches: PostgresBookingBatches?
    let logger: Logger

    /// Opens the database (running migrations) and resolves the signing keys.
    public init(
        configuration: PeerLearnConfiguration,
        payments: (any PaymentProvider)? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "peerlearn.control")
    ) async throws {
        self.configuration = configuration
        self.logger = logger
        self.now = now
        let dataDirectory = configuration.dataDirectory
        let accessSecret = try SigningKeyStore.resolve(
            configured: configuration.tokenSigningKey,
            file: (dataDirectory as NSString).appendingPathComponent("access-token.key"))
        self.roomTokenSecret = try SigningKeyStore.resolve(
            configured: configuration.roomTokenSigningKey,
            file: (dataDirectory as NSString).appendingPathComponent("room-token.key"))
        self.accessTokens = await AccessTokenService(
            secret: accessSecret, lifetime: TimeInterval(configuration.accessTokenLifetimeSeconds))
        self.roomTokens = try await RoomTokenSigner(secret: roomTokenSecret)
        self.passwords = try await PasswordHasher(
            cost: UInt8(configuration.bcryptCost), threads: configuration.passwordHashThreads,
            queueLimit: configuration.passwordHashQueue)
        self.rateLimiter = RateLimiter(maximumKeys: configuration.rateLimit.maxTracked)
        // The sandbox keeps its ledger in the data directory so it outlives a crash, as a real processor's does.
        self.payments = payments ?? SandboxPaymentProvider(
            rules: configuration.payment,
            journalPath: (dataDirectory as NSString).appendingPathComponent("payment-sandbox.jsonl"))
        self.database = try PeerLearnDatabase(
            url: configuration.databaseURL, sqlitePath: configuration.sqlitePath,
            postgresSchema: configuration.databaseSchema, logger: logger)
        do {
            try await database.migrate()
        } catch {
            await database.shutdown()
            throw error
        }
        bookingBatches = database.backend == .postgres ? PostgresBookingBatches(database: database, now: now) : nil
    }

    var db: any Database { database.db }

    /// Takes a token from an account's bucket (`what`: login, room-token, join), or throws 429.
    /// Unlike the per-address buckets this applies to loopback too: it is what stops one account being
    /// guessed at or one token being replayed from anywhere.
    func limitAccount(_ what: String, _ account: String) throws {
        guard configuration.rateLimit.enabled else { return }
        let decision = rateLimiter.take(
            "\(what)|user|\(account)", limit: .perMinute(configuration.rateLimit.accountPerMinute))
        if !decision.allowed { throw RateLimitedError(retryAfter: decision.retryAfter) }
    }

    /// The per-account bucket on WHIP/WHEP joins, for `SignalingRoutes(joinThrottle:)`: nil to admit, else
    /// the seconds to wait.
    public func joinThrottle(userID: String) -> Int? {
        do {
            try limitAccount("join", userID)
            return nil
        } catch let error as RateLimitedError {
            return error.retryAfter
        } catch {
            return nil
        }
    }

    /// The per-address rules for every limited route `serve` has: `auth` (login, registration), `join`
    /// (room tokens, WHIP/WHEP, the room WebSocket) and `operations` (`/metrics`, `/readyz`). Empty when rate
    /// limiting is off.
    public var rateLimitRules: [RateLimitRule] {
        let settings = configuration.rateLimit
        guard settings.enabled else { return [] }
        let auth = RateLimit.perMinute(settings.authPerMinute)
        let join = RateLimit.perMinute(settings.joinsPerMinute)
        return [
            .init(.post, "/api/auth/login", bucket: "auth", limit: auth),
            .init(.post, "/api/auth/register", bucket: "auth", limit: auth),
            .init(.post, "/api/sessions/", suffix: "/room-token", bucket: "join", limit: join),
            .init(.post, "/whip/", bucket: "join", limit: join),
            .init(.post, "/whep/", bucket: "join", limit: join),
            .init(.get, "/ws/rooms/", bucket: "join", limit: join),
        ] + Self.operationsRules(settings)
    }

    /// `/metrics` and `/readyz`, for `serve` and a `peerlearn relay` node alike.
    public static func operationsRules(_ settings: RateLimitSettings) -> [RateLimitRule] {
        guard settings.enabled else { return [] }
        let operations = RateLimit.perMinute(settings.operationsPerMinute)
        return [
            .init(.get, "/metrics", bucket: "operations", limit: operations),
            .init(.get, "/readyz", bucket: "operations", limit: operations),
        ]
    }

    /// Whose address a bucket is keyed by.
    public var clientAddresses: ClientAddressPolicy {
        ClientAddressPolicy(
            exemptLoopback: configuration.rateLimit.exemptLoopback,
            trustForwardedFor: configuration.rateLimit.trustForwardedFor)
    }

    /// The per-address limiter for a router of any context (the API's, or the WebSocket upgrade router's).
    public func rateLimitMiddleware<Context: RequestContext>(context: Context.Type = Context.self) -> RateLimitMiddleware<Context> {
        RateLimitMiddleware(limiter: rateLimiter, rules: rateLimitRules, clients: clientAddresses)
    }
}

extension ControlPlaneServices: CustomStringConvertible {
    /// Redacted: error messages that print a service must never print its signing keys.
    public var description: String { "ControlPlaneServices(database: \(database.backend.rawValue))" }
}
