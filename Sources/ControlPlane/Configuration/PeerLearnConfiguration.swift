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
    /// An active session whose mentor forgets to complete it completes by itself this long after its
    /// scheduled end; a scheduled one its mentor never opened is then cancelled and refunded.
    public var autoCompleteGraceSeconds: Int = 1800
    /// How often `SessionAutopilot` looks for sessions past their end and requests past their expiry.
    public var autopilotIntervalSeconds: Int = 30
    /// bcrypt work factor (cost 12 ≈ 250 ms per hash; tests lower it).
    public var bcryptCost: Int = 12
    /// Largest accepted profile image, in bytes.
    public var maxImageBytes: Int = 2 * 1024 * 1024
    public var payment: PaymentSandboxRules = PaymentSandboxRules()
    /// SMTP relay for the outbox (plain SMTP, no AUTH/TLS: a local MTA). Empty: mail is written as `.eml`
    /// files under `<dataDirectory>/mail` and listed at `/dev/mail`.
    public var smtpHost: String = ""
    public var smtpPort: Int = 25
    /// The sender of every email.
    public var emailFrom: String = "PeerLearn <no-reply@peerlearn.invalid>"
    /// How often the outbox is scanned for pending mail.
    public var outboxPollSeconds: Int = 10
    /// Threads of the password hasher's own pool (bcrypt never runs on the event loops or on the pool the
    /// database and file IO use).
    public var passwordHashThreads: Int = 2
    /// Hashes allowed in flight or waiting for that pool; one more is answered 503 with `Retry-After`
    /// instead of queueing without bound.
    public var passwordHashQueue: Int = 256
    public var rateLimit: RateLimitSettings = RateLimitSettings()
    /// Where finished spans go: an OTLP/HTTP traces URL (`http://collector:4318/v1/traces`). Empty: tracing off,
    /// spans are not even recorded. swift-otel's `OTEL_*` variables refine the exporter (protocol, headers).
    public var tracingEndpoint: String = ""
    /// The `service.name` the spans carry, to tell the control plane from a relay node in one trace.
    public var tracingServiceName: String = "peerlearn"

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
        autoCompleteGraceSeconds = try c.decodeIfPresent(Int.self, forKey: .autoCompleteGraceSeconds) ?? defaults.autoCompleteGraceSeconds
        autopilotIntervalSeconds = try c.decodeIfPresent(Int.self, forKey: .autopilotIntervalSeconds) ?? defaults.autopilotIntervalSeconds
        bcryptCost = try c.decodeIfPresent(Int.self, forKey: .bcryptCost) ?? defaults.bcryptCost
        maxImageBytes = try c.decodeIfPresent(Int.self, forKey: .maxImageBytes) ?? defaults.maxImageBytes
        payment = try c.decodeIfPresent(PaymentSandboxRules.self, forKey: .payment) ?? defaults.payment
        smtpHost = try c.decodeIfPresent(String.self, forKey: .smtpHost) ?? defaults.smtpHost
        smtpPort = try c.decodeIfPresent(Int.self, forKey: .smtpPort) ?? defaults.smtpPort
        emailFrom = try c.decodeIfPresent(String.self, forKey: .emailFrom) ?? defaults.emailFrom
        outboxPollSeconds = try c.decodeIfPresent(Int.self, forKey: .outboxPollSeconds) ?? defaults.outboxPollSeconds
        passwordHashThreads = try c.decodeIfPresent(Int.self, forKey: .passwordHashThreads) ?? defaults.passwordHashThreads
        passwordHashQueue = try c.decodeIfPresent(Int.self, forKey: .passwordHashQueue) ?? defaults.passwordHashQueue
        rateLimit = try c.decodeIfPresent(RateLimitSettings.self, forKey: .rateLimit) ?? defaults.rateLimit
        tracingEndpoint = try c.decodeIfPresent(String.self, forKey: .tracingEndpoint) ?? defaults.tracingEndpoint
        tracingServiceName = try c.decodeIfPresent(String.self, forKey: .tracingServiceName) ?? defaults.tracingServiceName
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
        func bool(_ key: String, _ target: inout Bool) throws {
            guard let value = environment["PEERLEARN_" + key] else { return }
            switch value.lowercased() {
            case "1", "true", "yes", "on": target = true
            case "0", "false", "no", "off": target = false
            default: throw ConfigurationError.invalidEnvironment(name: "PEERLEARN_" + key, value: value)
            }
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
        try int("AUTO_COMPLETE_GRACE_SECONDS", &autoCompleteGraceSeconds)
        try int("AUTOPILOT_INTERVAL_SECONDS", &autopilotIntervalSeconds)
        try int("BCRYPT_COST", &bcryptCost)
        try int("MAX_IMAGE_BYTES", &maxImageBytes)
        try ints("PAYMENT_DECLINE_AMOUNTS_CENTS", &payment.declineAmountsCents)
        try int("PAYMENT_DECLINE_ABOVE_CENTS", &payment.declineAboveCents)
        string("SMTP_HOST", &smtpHost)
        try int("SMTP_PORT", &smtpPort)
        string("EMAIL_FROM", &emailFrom)
        try int("OUTBOX_POLL_SECONDS", &outboxPollSeconds)
        try int("PASSWORD_HASH_THREADS", &passwordHashThreads)
        try int("PASSWORD_HASH_QUEUE", &passwordHashQueue)
        try bool("RATE_LIMIT_ENABLED", &rateLimit.enabled)
        try bool("RATE_LIMIT_EXEMPT_LOOPBACK", &rateLimit.exemptLoopback)
        try bool("RATE_LIMIT_TRUST_FORWARDED_FOR", &rateLimit.trustForwardedFor)
        try int("RATE_LIMIT_AUTH_PER_MINUTE", &rateLimit.authPerMinute)
        try int("RATE_LIMIT_JOINS_PER_MINUTE", &rateLimit.joinsPerMinute)
        try int("RATE_LIMIT_ACCOUNT_PER_MINUTE", &rateLimit.accountPerMinute)
        try int("RATE_LIMIT_MAX_TRACKED", &rateLimit.maxTracked)
        try int("RATE_LIMIT_OPERATIONS_PER_MINUTE", &rateLimit.operationsPerMinute)
        string("TRACING_ENDPOINT", &tracingEndpoint)
        string("TRACING_SERVICE_NAME", &tracingServiceName)
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
        try check((0...30 * 24 * 3600).contains(autoCompleteGraceSeconds), "autoCompleteGraceSeconds", "must be 0...2592000")
        try check((1...3600).contains(autopilotIntervalSeconds), "autopilotIntervalSeconds", "must be 1...3600")
        try check((4...31).contains(bcryptCost), "bcryptCost", "must be 4...31")
        try check(maxImageBytes > 0, "maxImageBytes", "must be > 0")
        try check(!dataDirectory.isEmpty, "dataDirectory", "must not be empty")
        try check((1...65535).contains(smtpPort), "smtpPort", "must be 1...65535")
        try check(outboxPollSeconds > 0, "outboxPollSeconds", "must be > 0")
        try check((1...64).contains(passwordHashThreads), "passwordHashThreads", "must be 1...64")
        try check((1...100_000).contains(passwordHashQueue), "passwordHashQueue", "must be 1...100000")
        try check((1...1_000_000).contains(rateLimit.authPerMinute), "rateLimit.authPerMinute", "must be 1...1000000")
        try check((1...1_000_000).contains(rateLimit.joinsPerMinute), "rateLimit.joinsPerMinute", "must be 1...1000000")
        try check((1...1_000_000).contains(rateLimit.accountPerMinute), "rateLimit.accountPerMinute", "must be 1...1000000")
        try check((1...1_000_000).contains(rateLimit.operationsPerMinute), "rateLimit.operationsPerMinute", "must be 1...1000000")
        try check((16...10_000_000).contains(rateLimit.maxTracked), "rateLimit.maxTracked", "must be 16...10000000")
        try check(!emailFrom.contains("\r") && !emailFrom.contains("\n") && emailFrom.contains("@"), "emailFrom", "must be one mailbox")
        try check(tracingEndpoint.isEmpty || tracingEndpoint.hasPrefix("http://") || tracingEndpoint.hasPrefix("https://"),
                  "tracingEndpoint", "must be empty or an http(s) URL")
        try check(!tracingServiceName.isEmpty && tracingServiceName.count <= 100, "tracingServiceName", "must be 1...100 characters")
        try check(databaseSchema.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") },
                  "databaseSchema", "may hold only ASCII letters, digits and _")
    }

    /// The SQLite file used when no database URL is configured.
    public var sqlitePath: String { (dataDirectory as NSString).appendingPathComponent("peerlearn.sqlite") }
    /// Where mail is written as `.eml` files while no SMTP relay is configured (`MailDirectory`).
    public var mailDirectory: String { (dataDirectory as NSString).appendingPathComponent("mail") }
}

/// Token-bucket limits on the routes a stranger can use to burn CPU or guess passwords: login and
/// registration (`auth`), room tokens, WHIP/WHEP joins and the room WebSocket (`joins`). Each bucket holds a
/// minute's allowance and refills continuously; a refusal is 429 JSON with `Retry-After`.
public struct RateLimitSettings: Codable, Sendable, Equatable {
    /// Off: nothing is limited (benchmarks on a private network).
    public var enabled = true
    /// Clients on 127.0.0.0/8 and ::1 are not limited per address (the load tester and browser tests sign up
    /// hundreds of users from loopback). Per-account buckets still apply. Behind a proxy on this machine set
    /// `trustForwardedFor`, else every client looks like loopback.
    public var exemptLoopback = true
    /// Take the client address from the last `X-Forwarded-For` entry when the peer is loopback (a local proxy
    /// that appends it). Off by default: a header is not an address unless a proxy you run wrote it.
    public var trustForwardedFor = false
    /// Login + registration attempts per client address per minute.
    public var authPerMinute = 30
    /// Room tokens + WHIP/WHEP joins + room WebSocket upgrades per client address per minute.
    public var joinsPerMinute = 120
    /// Login attempts per username/email, and room tokens and WHIP/WHEP joins per user, per minute.
    public var accountPerMinute = 30
    /// `/metrics` and `/readyz` per client address per minute: a scrape reads every relay worker (on its media
    /// loop) and a readiness check queries the database, so strangers get a scraper's and an orchestrator's
    /// share, not a flood's. `/healthz` stays unlimited.
    public var operationsPerMinute = 120
    /// Buckets remembered at most (older, refilled ones are evicted first).
    public var maxTracked = 100_000

    public init() {}

    public init(from decoder: any Decoder) throws {
        let defaults = RateLimitSettings()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? defaults.enabled
        exemptLoopback = try c.decodeIfPresent(Bool.self, forKey: .exemptLoopback) ?? defaults.exemptLoopback
        trustForwardedFor = try c.decodeIfPresent(Bool.self, forKey: .trustForwardedFor) ?? defaults.trustForwardedFor
        authPerMinute = try c.decodeIfPresent(Int.self, forKey: .authPerMinute) ?? defaults.authPerMinute
        joinsPerMinute = try c.decodeIfPresent(Int.self, forKey: .joinsPerMinute) ?? defaults.joinsPerMinute
        accountPerMinute = try c.decodeIfPresent(Int.self, forKey: .accountPerMinute) ?? defaults.accountPerMinute
        operationsPerMinute = try c.decodeIfPresent(Int.self, forKey: .operationsPerMinute) ?? defaults.operationsPerMinute
        maxTracked = try c.decodeIfPresent(Int.self, forKey: .maxTracked) ?? defaults.maxTracked
    }
}
