import Foundation

/// Everything the control plane reads at start-up.
///
/// Loaded from `config/peerlearn.json` (every key optional; missing keys keep the defaults below), then
/// each key may be overridden by an environment variable named `PEERLEARN_` + the key in upper snake case
/// (`httpPort` → `PEERLEARN_HTTP_PORT`, `payment.declineAmountsCents` → `PEERLEARN_PAYMENT_DECLINE_AMOUNTS_CENTS`).
public struct PeerLearnConfiguration: Codable, Sendable, Equatable {
    /// Where the SQLite file, generated signing keys and uploaded images live.
    public var dataDirectory: String = "data"
    /// HTTP bind address. Loopback by default: put a TLS-terminating proxy in front for the world.
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8080
    /// `postgres://user:pass@host:port/db`. Empty: an SQLite file `peerlearn.sqlite` under the data directory.
    public var databaseURL: String = ""
    /// PostgreSQL schema to keep the tables in (created if missing). Empty: the server's default (`public`).
    public var databaseSchema: String = ""
    /// Base64 HMAC key (≥ 32 bytes) for API access tokens. Empty: generated once into `<data>/access-token.key`.
    public var tokenSigningKey: String = ""
    /// Base64 HMAC key (≥ 32 bytes) shared with the relay for room tokens. Empty: generated into `<data>/room-token.key`.
    public var roomTokenSigningKey: String = ""
    /// Lifetime of an API access token.
    public var accessTokenLifetimeSeconds: Int = 3600
    /// Lifetime of a room token: only long enough to open the signaling connection.
    public var roomTokenLifetimeSeconds: Int = 300
    /// How long before the scheduled start room tokens may be issued.
    public var joinWindowSeconds: Int = 900
    /// Joining later than this after the scheduled start records the attendance as `late`.
    public var lateGraceSeconds: Int = 600
    /// Pending mentorship requests older than this become `expired`.
    public var requestExpirySeconds: Int = 7 * 24 * 3600
    /// bcrypt work factor (cost 12 ≈ 250 ms per hash; tests lower it).
    public var bcryptCost: Int = 12
    /// Largest accepted profile image, in bytes.
    public var maxImageBytes: Int = 2 * 1024 * 1024
    public var payment: PaymentSandboxRules = PaymentSandboxRules()
    /// SMTP relay for the outbox (plain SMTP, no AUTH/TLS: a local MTA). Empty: mail stays in the outbox table.
    public var smtpHost: String = ""
    public var smtpPort: Int = 25
    /// The sender of every email.
    public var emailFrom: String = "PeerLearn <no-reply@peerlearn.invalid>"
    /// How often the outbox is scanned for pending mail.
    public var outboxPollSeconds: Int = 10

    public init() {}

    public init(from decoder: any Decoder) throws {
        // Every key is optional: decode over the defaults.
        let defaults = PeerLearnConfiguration()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory) ?? defaults.dataDirectory
        httpHost = try c.decodeIfPresent(String.self, forKey: .httpHost) ?? defaults.httpHost
        httpPort = try c.decodeIfPresent(Int.self, forKey: .httpPort) ?? defaults.httpPort
        databaseURL = try c.decodeIfPresent(String.self, forKey: .databaseURL) ?? defaults.databaseURL
        databaseSchema = try c.decodeIfPresent(String.self, forKey: .databaseSchema) ?? defaults.databaseSchema
        tokenSigningKey = try c.decodeIfPresent(String.self, forKey: .tokenSigningKey) ?? defaults.tokenSigningKey
        roomTokenSigningKey = try c.decodeIfPresent(String.self, forKey: .roomTokenSigningKey) ?? defaults.roomTokenSigningKey
        accessTokenLifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .accessTokenLifetimeSeconds) ?? defaults.accessTokenLifetimeSeconds
        roomTokenLifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .roomTokenLifetimeSeconds) ?? defaults.roomTokenLifetimeSeconds
        joinWindowSeconds = try c.decodeIfPresent(Int.self, forKey: .joinWindowSeconds) ?? defaults.joinWindowSeconds
        lateGraceSeconds = try c.decodeIfPresent(Int.self, forKey: .lateGraceSeconds) ?? defaults.lateGraceSeconds
        requestExpirySeconds = try c.decodeIfPresent(Int.self, forKey: .requestExpirySeconds) ?? defaults.requestExpirySeconds
        bcryptCost = try c.decodeIfPresent(Int.self, forKey: .bcryptCost) ?? defaults.bcryptCost
        maxImageBytes = try c.decodeIfPresent(Int.self, forKey: .maxImageBytes) ?? defaults.maxImageBytes
        payment = try c.decodeIfPresent(PaymentSandboxRules.self, forKey: .payment) ?? defaults.payment
        smtpHost = try c.decodeIfPresent(String.self, forKey: .smtpHost) ?? defaults.smtpHost
        smtpPort = try c.decodeIfPresent(Int.self, forKey: .smtpPort) ?? defaults.smtpPort
        emailFrom = try c.decodeIfPresent(String.self, forKey: .emailFrom) ?? defaults.emailFrom
        outboxPollSeconds = try c.decodeIfPresent(Int.self, forKey: .outboxPollSeconds) ?? defaults.outboxPollSeconds
    }

    /// Reads `path` if it exists (a missing file means all defaults), then applies `environment` overrides.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        var configuration = PeerLearnConfiguration()
        if let path, FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            do {
                configuration = try JSONDecoder().decode(Self.self, from: data)
            } catch {
                throw ConfigurationError.invalidFile(path: path, reason: String(describing: error))
            }
        }
        try configuration.applyEnvironment(environment)
        try configuration.validate()
        return configuration
    }

    /// Applies `PEERLEARN_*` overrides.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        func string(_ key: String, _ target: inout String) {
            if let value = environment["PEERLEARN_" + key] { target = value }
        }
        func int(_ key: String, _ target: inout Int) throws {
            guard let value = environment["PEERLEARN_" + key] else { return }
            guard let parsed = Int(value) else { throw ConfigurationError.invalidEnvironment(name: "PEERLEARN_" + key, value: value) }
            target = parsed
        }
        func ints(_ key: String, _ target: inout [Int]) throws {
            guard let value = environment["PEERLEARN_" + key] else { return }
            let parts = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let parsed = parts.compactMap { Int($0) }
            guard parsed.count == parts.count else { throw ConfigurationError.invalidEnvironment(name: "PEERLEARN_" + key, value: value) }
            target = parsed
        }
        string("DATA_DIRECTORY", &dataDirectory)
        string("HTTP_HOST", &httpHost)
        try int("HTTP_PORT", &httpPort)
        string("DATABASE_URL", &databaseURL)
        string("DATABASE_SCHEMA", &databaseSchema)
        string("TOKEN_SIGNING_KEY", &tokenSigningKey)
        string("ROOM_TOKEN_SIGNING_KEY", &roomTokenSigningKey)
        try int("ACCESS_TOKEN_LIFETIME_SECONDS", &accessTokenLifetimeSeconds)
        try int("ROOM_TOKEN_LIFETIME_SECONDS", &roomTokenLifetimeSeconds)
        try int("JOIN_WINDOW_SECONDS", &joinWindowSeconds)
        try int("LATE_GRACE_SECONDS", &lateGraceSeconds)
        try int("REQUEST_EXPIRY_SECONDS", &requestExpirySeconds)
        try int("BCRYPT_COST", &bcryptCost)
        try int("MAX_IMAGE_BYTES", &maxImageBytes)
        try ints("PAYMENT_DECLINE_AMOUNTS_CENTS", &payment.declineAmountsCents)
        try int("PAYMENT_DECLINE_ABOVE_CENTS", &payment.declineAboveCents)
        string("SMTP_HOST", &smtpHost)
        try int("SMTP_PORT", &smtpPort)
        string("EMAIL_FROM", &emailFrom)
        try int("OUTBOX_POLL_SECONDS", &outboxPollSeconds)
        if let tokens = environment["PEERLEARN_PAYMENT_DECLINE_CARD_TOKENS"] {
            payment.declineCardTokens = tokens.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// Refuses values that cannot work, at start-up rather than at the first request.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws {
            if !ok { throw ConfigurationError.invalidValue(key: key, reason: reason) }
        }
        try check((1...65535).contains(httpPort), "httpPort", "must be 1...65535")
        try check(accessTokenLifetimeSeconds > 0, "accessTokenLifetimeSeconds", "must be > 0")
        try check(roomTokenLifetimeSeconds > 0, "roomTokenLifetimeSeconds", "must be > 0")
        try check(joinWindowSeconds >= 0, "joinWindowSeconds", "must be >= 0")
        try check(lateGraceSeconds >= 0, "lateGraceSeconds", "must be >= 0")
        try check(requestExpirySeconds > 0, "requestExpirySeconds", "must be > 0")
        try check((4...31).contains(bcryptCost), "bcryptCost", "must be 4...31")
        try check(maxImageBytes > 0, "maxImageBytes", "must be > 0")
        try check(!dataDirectory.isEmpty, "dataDirectory", "must not be empty")
        try check((1...65535).contains(smtpPort), "smtpPort", "must be 1...65535")
        try check(outboxPollSeconds > 0, "outboxPollSeconds", "must be > 0")
        try check(!emailFrom.contains("\r") && !emailFrom.contains("\n") && emailFrom.contains("@"), "emailFrom", "must be one mailbox")
        try check(databaseSchema.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") },
                  "databaseSchema", "may hold only ASCII letters, digits and _")
    }

    /// The SQLite file used when no database URL is configured.
    public var sqlitePath: String { (dataDirectory as NSString).appendingPathComponent("peerlearn.sqlite") }
}
