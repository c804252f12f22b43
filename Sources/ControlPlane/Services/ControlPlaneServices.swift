import FluentKit
import Foundation
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
    /// The clock; tests move it to cross join windows and request expiry.
    let now: @Sendable () -> Date
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
        self.passwords = PasswordHasher(cost: UInt8(configuration.bcryptCost))
        self.payments = payments ?? SandboxPaymentProvider(rules: configuration.payment)
        self.database = try PeerLearnDatabase(
            url: configuration.databaseURL, sqlitePath: configuration.sqlitePath,
            postgresSchema: configuration.databaseSchema, logger: logger)
        do {
            try await database.migrate()
        } catch {
            await database.shutdown()
            throw error
        }
    }

    var db: any Database { database.db }
}

extension ControlPlaneServices: CustomStringConvertible {
    /// Redacted: error messages that print a service must never print its signing keys.
    public var description: String { "ControlPlaneServices(database: \(database.backend.rawValue))" }
}
