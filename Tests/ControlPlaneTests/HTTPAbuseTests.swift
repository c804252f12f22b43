import ControlPlane
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import Glibc

/// Issue 10 point 4: rate limits, bcrypt on its own bounded pool, 413 for big bodies, security headers,
/// no room token in logs, and no account enumeration through login or registration.
@Suite struct HTTPAbuseTests {
    /// Log lines kept in memory, to check what a request leaves in the log.
    final class LogStore: Sendable {
        let lines = Mutex<[String]>([])
        var text: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    struct CapturingHandler: LogHandler {
        let store: LogStore
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            store.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
        }
    }

    /// The control plane behind Hummingbird's real HTTP/1.1 server on loopback, configured by `configure`.
    static func live(
        configure: (inout PeerLearnConfiguration) -> Void = { _ in }, logs: LogStore? = nil,
        _ body: @Sendable (any TestClientProtocol, ControlPlaneServices) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-abuse-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        configure(&configuration)
        var logger: Logger
        if let logs {
            logger = Logger(label: "abuse") { _ in CapturingHandler(store: logs) }
            logger.logLevel = .info
        } else {
            logger = Logger(label: "abuse")
            logger.logLevel = .warning
        }
        let services = try await ControlPlaneServices(configuration: configuration, logger: logger)
        let app = Application(
            router: ControlPlaneApplication.makeRouter(services: services),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        do {
            try await app.test(.live) { client in try await body(client, services) }
        } catch {
            await services.database.shutdown()
            throw error
        }
        await services.database.shutdown()
    }

    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static func registration(_ name: String) -> ByteBuffer {
        json(["username": name, "email": "\(name)@example.com", "password": "Passw0rd!x", "role": "learner"])
    }

    // MARK: Rate limits

    @Test func perAddressLimitOnRegistrationAnswers429WithRetryAfter() async throws {
        try await Self.live(configure: {
            $0.rateLimit.exemptLoopback = false  // the test client is on loopback
            $0.rateLimit.authPerMinute = 3
        }) { client, _ in
            var statuses: [HTTPResponse.Status] = []
            var refusal: TestResponse?
            for index in 0..<5 {
                let response = try await client.execute(
                    uri: "/api/auth/register", method: .post, headers: [.contentType: "application/json"],
                    body: Self.registration("limited\(index)"))
                statuses.append(response.status)
                if response.status == .tooManyRequests { refusal = response }
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == .created }, "\(statuses)")
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
            let answer = try #require(refusal)
            #expect(Int(answer.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(String(buffer: answer.body).contains(#""error":"rate_limited""#))
            // Login shares the `auth` bucket; other routes are not limited.
            let login = try await client.execute(
                uri: "/api/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: Self.json(["username": "limited0", "password": "Passw0rd!x"]))
            #expect(login.status == .tooManyRequests)
            #expect(try await client.execute(uri: "/api/sessions", method: .get).status == .ok)
        }
    }

    /// Room tokens, WHIP, WHEP and the room WebSocket share the per-address `join` bucket, checked before
    /// routing (so even a request for a room that does not exist spends a token).
    @Test func joinsShareOnePerAddressBucket() async throws {
        try await Self.live(configure: {
            $0.rateLimit.exemptLoopback = false
            $0.rateLimit.joinsPerMinute = 4
        }) { client, _ in
            var statuses: [UInt] = []
            for (method, path) in [
                (HTTPRequest.Method.post, "/whip/r1"), (.post, "/whep/r1"), (.get, "/ws/rooms/r1?token=x"),
                (.post, "/api/sessions/00000000-0000-0000-0000-000000000000/room-token"), (.post, "/whip/r1"),
                (.get, "/ws/rooms/r1"),
            ] {
                statuses.append(UInt(try await client.execute(uri: path, method: method).status.code))
            }
            #expect(!statuses.prefix(4).contains(429), "\(statuses)")
            #expect(statuses.suffix(2) == [429, 429], "\(statuses)")
            #expect(try await client.execute(uri: "/api/sessions", method: .get).status == .ok)
        }
    }

    /// A scrape reads every relay worker and a readiness check queries the database: a stranger gets a
    /// scraper's share of both, and `/healthz` stays free.
    @Test func metricsAndReadinessShareOnePerAddressBucket() async throws {
        try await Self.live(configure: {
            $0.rateLimit.exemptLoopback = false
            $0.rateLimit.operationsPerMinute = 3
        }) { client, _ in
            var statuses: [UInt] = []
            for path in ["/metrics", "/readyz", "/metrics", "/readyz", "/metrics"] {
                statuses.append(UInt(try await client.execute(uri: path, method: .get).status.code))
            }
            #expect(!statuses.prefix(3).contains(429), "\(statuses)")
            #expect(statuses.suffix(2) == [429, 429], "\(statuses)")
            #expect(try await client.execute(uri: "/api/sessions", method: .get).status == .ok, "other buckets untouched")
        }
    }

    @Test func loopbackIsExemptPerAddressByDefault() async throws {
        try await Self.live(configure: { $0.rateLimit.authPerMinute = 2 }) { client, _ in
            for index in 0..<5 {
                let response = try await client.execute(
                    uri: "/api/auth/register", method: .post, headers: [.contentType: "application/json"],
                    body: Self.registration("loop\(index)"))
                #expect(response.status == .created)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func loginIsLimitedPerAccountFromAnyAddress(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.rateLimit.accountPerMinute = 4 }) { h in
            _ = try await h.register("guessme")
            var statuses: [Int] = []
            for attempt in 0..<6 {
                let result = try await h.call(.post, "/api/auth/login", body: ["username": "GuessMe", "password": "wrong\(attempt)x1"])
                statuses.append(Int(result.status.code))
            }
            #expect(statuses == [401, 401, 401, 401, 429, 429])
            // The right password is refused too while the bucket is empty: the guesser cannot tell.
            let right = try await h.call(.post, "/api/auth/login", body: ["username": "guessme", "password": "Passw0rd!x"])
            #expect(right.status == .tooManyRequests)
            #expect(right.headers[.retryAfter] != nil)
            #expect(right.error == "rate_limited")
            // Another account is untouched.
            _ = try await h.register("other")
            let other = try await h.call(.post, "/api/auth/login", body: ["username": "other", "password": "Passw0rd!x"])
            #expect(other.status == .ok)
        }
    }

    @Test(arguments: TestBackend.all)
    func roomTokensAreLimitedPerAccount(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.rateLimit.accountPerMinute = 3 }) { h in
            let mentor = try await h.register("tokenmentor", role: "mentor")
            let session = try await h.createSession(mentor: mentor, startsIn: 60)
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(Int(try await h.call(.post, "/api/sessions/\(session)/room-token", token: mentor.token).status.code))
            }
            #expect(statuses == [200, 200, 200, 429, 429])
        }
    }

    @Test func theBucketTableIsBoundedAndRefills() {
        let now = Mutex<UInt64>(0)
        let limiter = RateLimiter(maximumKeys: 100, clock: { now.withLock { $0 } })
        for index in 0..<10_000 {
            _ = limiter.take("k\(index)", limit: .perMinute(5))
            now.withLock { $0 += 1_000 }
            #expect(limiter.count <= 100)
        }
        let limit = RateLimit(burst: 2, perMinute: 60)
        #expect(limiter.take("x", limit: limit).allowed)
        #expect(limiter.take("x", limit: limit).allowed)
        let refused = limiter.take("x", limit: limit)
        #expect(!refused.allowed && refused.retryAfter == 1)
        now.withLock { $0 += 1_000_000_000 }
        #expect(limiter.take("x", limit: limit).allowed)
    }

    @Test func limitsComeFromTheFileAndTheEnvironment() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rl-\(UUID().uuidString).json").path
        try Data(#"{"rateLimit": {"authPerMinute": 5, "exemptLoopback": false}, "passwordHashQueue": 9}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try PeerLearnConfiguration.load(path: path, environment: [:])
        #expect(fromFile.rateLimit.authPerMinute == 5 && !fromFile.rateLimit.exemptLoopback)
        #expect(fromFile.rateLimit.joinsPerMinute == RateLimitSettings().joinsPerMinute, "unset keys keep defaults")
        #expect(fromFile.passwordHashQueue == 9)
        let overridden = try PeerLearnConfiguration.load(path: path, environment: [
            "PEERLEARN_RATE_LIMIT_ENABLED": "false", "PEERLEARN_RATE_LIMIT_TRUST_FORWARDED_FOR": "true",
            "PEERLEARN_RATE_LIMIT_ACCOUNT_PER_MINUTE": "7", "PEERLEARN_PASSWORD_HASH_THREADS": "3",
        ])
        #expect(!overridden.rateLimit.enabled && overridden.rateLimit.trustForwardedFor)
        #expect(overridden.rateLimit.accountPerMinute == 7 && overridden.passwordHashThreads == 3)
        #expect(throws: ConfigurationError.self) {
            try PeerLearnConfiguration.load(path: nil, environment: ["PEERLEARN_RATE_LIMIT_ENABLED": "maybe"])
        }
        #expect(throws: ConfigurationError.self) {
            try PeerLearnConfiguration.load(path: nil, environment: ["PEERLEARN_RATE_LIMIT_AUTH_PER_MINUTE": "0"])
        }
    }

    // MARK: bcrypt

    /// More logins than the hashing queue holds: the surplus is 503 at once, with Retry-After, rather than
    /// queueing; and the database-backed API keeps answering meanwhile.
    @Test(arguments: TestBackend.all)
    func hashingHasABoundedQueueOfItsOwn(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: {
            $0.bcryptCost = 11
            $0.passwordHashThreads = 1
            $0.passwordHashQueue = 2
            $0.rateLimit.accountPerMinute = 1000
        }) { h in
            let results = try await withThrowingTaskGroup(of: APIResult.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await h.call(.post, "/api/auth/login", body: ["username": "nobody\(index)", "password": "Passw0rd!x"])
                    }
                }
                let catalog = try await h.call(.get, "/api/sessions")
                let catalogDone = ContinuousClock.now
                var all: [APIResult] = []
                var lastLogin = catalogDone
                for try await result in group {
                    all.append(result)
                    lastLogin = ContinuousClock.now
                }
                // Relative, not a wall-clock bound (the parallel suite makes absolute times meaningless):
                // behind bcrypt the catalog would answer only after the admitted hashes had all run.
                return (all, catalog.status, lastLogin - catalogDone)
            }
            let busy = results.0.filter { $0.status == .serviceUnavailable }
            #expect(!busy.isEmpty, "\(results.0.map(\.status.code))")
            #expect(busy.allSatisfy { $0.headers[.retryAfter] == "1" && $0.error == "busy" })
            #expect(results.0.allSatisfy { $0.status == .unauthorized || $0.status == .serviceUnavailable })
            #expect(results.0.contains { $0.status == .unauthorized })
            #expect(results.1 == .ok)
            #expect(results.2 > .zero, "the catalog answered only after the last login: it waited behind bcrypt")
        }
    }

    // MARK: Body size

    @Test(arguments: TestBackend.all)
    func oversizedJSONBodiesAre413JSON(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("bigbody", role: "mentor")
            let big = "{\"title\": \"" + String(repeating: "x", count: 5 * 1024 * 1024) + "\"}"
            for (method, path) in [
                (HTTPRequest.Method.post, "/api/sessions"), (.post, "/api/auth/register"), (.post, "/api/auth/login"),
                (.patch, "/api/me"),
            ] {
                let result = try await h.call(method, path, token: mentor.token, body: big, headers: ["Content-Type": "application/json"])
                #expect(result.status == .contentTooLarge, "\(method) \(path): \(result.status) \(result.raw.prefix(200))")
                #expect(result.error == "payload_too_large", "\(method) \(path)")
            }
        }
    }

    // MARK: Security headers

    static let publicDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Public").standardized.path

    @Test(arguments: TestBackend.all)
    func everyAnswerCarriesTheSecurityHeaders(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            for path in ["/openapi.yaml", "/api/sessions", "/api/me", "/api/nope", "/api/sessions?page=0", "/health"] {
                let result = try await h.call(.get, path)
                let csp = result.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
                #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "\(path): \(csp)")
                #expect(csp.contains("frame-ancestors 'none'"), "\(path)")
                #expect(result.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(path)")
                #expect(result.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(path)")
                #expect(result.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(path)")
            }
        }
    }

    /// Fetch and WebSocket may reach this host on any port (a standalone relay listens on httpPort + 1 of
    /// the same host), and no other host.
    @Test func connectSourcesAreThisHostOnAnyPort() async throws {
        try await Self.live { client, _ in
            // The test client's requests name `localhost` as their authority.
            let response = try await client.execute(uri: "/health", method: .get)
            let csp = response.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(csp.contains("connect-src 'self' http://localhost:* https://localhost:* ws://localhost:* wss://localhost:*;"), "\(csp)")
        }
    }

    /// The pages themselves: served with the headers, and with no inline script or style for the policy to
    /// block (the web app and the relay demo load theirs from files).
    @Test func pagesHaveTheHeadersAndNoInlineScript() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-pages-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        let services = try await ControlPlaneServices(configuration: configuration)
        let router = ControlPlaneApplication.makeRouter(services: services)
        router.add(middleware: FileMiddleware(Self.publicDirectory, searchForIndexHtml: true))
        let app = Application(router: router)
        try await app.test(.router) { client in
            for page in ["/", "/relay-demo.html", "/js/relay-demo.js", "/css/app.css"] {
                let response = try await client.execute(uri: page, method: .get)
                #expect(response.status == .ok, "\(page)")
                #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true, "\(page)")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(page)")
            }
        }
        await services.database.shutdown()
        let pages = try FileManager.default.contentsOfDirectory(atPath: Self.publicDirectory).filter { $0.hasSuffix(".html") }
        #expect(pages.count >= 2)
        for page in pages {
            let html = try String(contentsOfFile: Self.publicDirectory + "/" + page, encoding: .utf8)
            let scripts = html.matches(of: /<script\b([^>]*)>/).map { String($0.output.1) }
            #expect(scripts.allSatisfy { $0.contains("src=") }, "\(page) has an inline script")
            #expect(!html.contains("<style"), "\(page) has an inline style block")
            #expect(html.firstMatch(of: /\son[a-z]+\s*=/) == nil, "\(page) has an inline event handler")
        }
    }

    // MARK: Logs

    /// A plain GET on the room WebSocket path carries the room token in its query: the request log keeps
    /// the path and says a token was there, but never its value.
    @Test func theRoomTokenNeverReachesTheLog() async throws {
        let logs = LogStore()
        let secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXJvb20tdG9rZW4.SIGNATURE-\(UUID().uuidString)"
        try await Self.live(logs: logs) { client, _ in
            _ = try await client.execute(uri: "/ws/rooms/room-abc?token=\(secret)&x=1", method: .get)
            _ = try await client.execute(uri: "/ws/rooms/room-abc?TOKEN=\(secret)", method: .get)
            _ = try await client.execute(uri: "/api/sessions?q=visible", method: .get)
        }
        let text = logs.text
        #expect(text.contains("/ws/rooms/room-abc?token=***&x=1"), "\(text.prefix(2000))")
        #expect(text.contains("q=visible"))
        #expect(!text.contains(secret))
        #expect(!text.contains("SIGNATURE"))
    }

    // MARK: Account enumeration

    /// Unknown user and wrong password: same status, same body, and the same bcrypt work.
    @Test(arguments: TestBackend.all)
    func loginDoesNotRevealWhichAccountsExist(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.bcryptCost = 10; $0.rateLimit.accountPerMinute = 1000 }) { h in
            _ = try await h.register("realuser")
            func timed(_ username: String) async throws -> (APIResult, Duration) {
                let started = ContinuousClock.now
                let result = try await h.call(.post, "/api/auth/login", body: ["username": username, "password": "Wrong-pass1"])
                return (result, ContinuousClock.now - started)
            }
            var known: [Duration] = []
            var unknown: [Duration] = []
            var answers = Set<String>()
            for round in 0..<5 {
                let (a, ta) = try await timed("realuser")
                let (b, tb) = try await timed("ghost\(round)")
                #expect(a.status == .unauthorized && b.status == .unauthorized)
                answers.insert(a.raw)
                answers.insert(b.raw)
                known.append(ta)
                unknown.append(tb)
            }
            #expect(answers.count == 1, "\(answers)")
            let medianKnown = known.sorted()[2]
            let medianUnknown = unknown.sorted()[2]
            // bcrypt at cost 10 is tens of milliseconds; skipping it for unknown users is ~1 ms.
            #expect(medianUnknown * 2 > medianKnown, "unknown \(medianUnknown) vs known \(medianKnown)")
        }
    }
}

/// Issue 10 point 5: a deactivated account's access token stops working on the next request, on every
/// authenticated route, not only those that happen to load the user.
@Suite struct DeactivationTests {
    @Test(arguments: TestBackend.all)
    func aDeactivatedUsersTokenIsRefusedAtOnce(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("soonGone", role: "mentor")
            let session = try await h.createSession(mentor: mentor, startsIn: 60)
            let routes: [(HTTPRequest.Method, String)] = [
                (.get, "/api/notifications"), (.get, "/api/bookings"), (.get, "/api/me/sessions"),
                (.post, "/api/sessions/\(session)/room-token"), (.get, "/api/me"),
            ]
            for (method, path) in routes {
                let before = try await h.call(method, path, token: mentor.token)
                #expect(before.status == .ok, "\(method) \(path) before: \(before.raw.prefix(200))")
            }
            try await h.sql.raw("UPDATE users SET is_active = \(bind: false) WHERE id = \(bind: mentor.id)").run()
            for (method, path) in routes {
                let after = try await h.call(method, path, token: mentor.token)
                #expect(after.status == .unauthorized, "\(method) \(path) after: \(after.status) \(after.raw.prefix(200))")
                #expect(after.error == "unauthorized")
            }
            // Anonymous routes are unaffected, and so is everyone else.
            #expect(try await h.call(.get, "/api/sessions").status == .ok)
            let other = try await h.register("stillHere")
            #expect(try await h.call(.get, "/api/notifications", token: other.token).status == .ok)
        }
    }
}

/// The same limits through `peerlearn serve` itself, where the room WebSocket's upgrade goes through a
/// router of its own: a refused upgrade is a 429 JSON answer, not a socket.
@Suite struct ServeRateLimitTests {
    /// Sends one WebSocket upgrade request over a raw socket and returns the response head and body.
    /// The head, then the server's in-band refusal and its close frame, until the server closes.
    static func upgrade(_ path: String, port: Int) -> String? {
        ServeCommandTests.exchange(
            "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            port: port, timeout: 15)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: ServeCommandTests.binary)))
    func roomWebSocketUpgradesAreLimitedPerAddress() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-serve-rl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = ServeCommandTests.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeCommandTests.binary)
        process.arguments = ["serve", "--config", "/nonexistent.json", "--port", String(port), "--log-level", "warning"]
        process.environment = [
            "PEERLEARN_DATA_DIRECTORY": directory, "PEERLEARN_BCRYPT_COST": "4",
            "PEERLEARN_RELAY_PORT": String(ServeCommandTests.freePort()),
            "PEERLEARN_RATE_LIMIT_EXEMPT_LOOPBACK": "false", "PEERLEARN_RATE_LIMIT_JOINS_PER_MINUTE": "3",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        var health: String?
        for _ in 0..<200 where health == nil {
            health = ServeCommandTests.get("/health", port: port)
            if health == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(health?.hasPrefix("HTTP/1.1 200") == true)
        var answers: [String] = []
        for _ in 0..<5 { answers.append(Self.upgrade("/ws/rooms/r1?token=forged", port: port) ?? "no answer") }
        // Every upgrade succeeds (a refused one would be Hummingbird's bare 400); the first three are told
        // in-band that the token is bad, then the bucket is empty and the refusal is `rate_limited`, close 4429.
        #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 101") }, "\(answers.map { $0.prefix(40) })")
        for answer in answers.prefix(3) {
            #expect(answer.contains(#""error":"unauthorized""#) && !answer.contains("rate_limited"), "\(answer)")
        }
        let closeCode4429 = String(decoding: [0x11, 0x4D], as: UTF8.self)  // 4429, big-endian
        for answer in answers.suffix(2) {
            #expect(answer.contains(#""error":"rate_limited""#), "\(answer)")
            #expect(answer.contains("retry in"), "\(answer)")
            #expect(answer.contains(closeCode4429), "close code 4429")
        }
        // A plain GET on the same path meets the API router's limiter: a 429 JSON answer with Retry-After.
        let plain = ServeCommandTests.get("/ws/rooms/r1?token=forged", port: port) ?? ""
        #expect(plain.hasPrefix("HTTP/1.1 429"), "\(plain.prefix(300))")
        #expect(plain.lowercased().contains("retry-after:"))
        // Pages are served with the security headers.
        let page = ServeCommandTests.get("/", port: port) ?? ""
        #expect(page.contains("Content-Security-Policy: default-src 'self'"), "\(page.prefix(500))")
    }
}
