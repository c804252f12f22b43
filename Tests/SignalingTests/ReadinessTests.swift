import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import ControlPlane
@testable import RelayServer
@testable import Signaling

/// `/readyz` as `serve` wires it: a real SQLite database and outbox, and a relay with two workers. It answers
/// 503 naming the part while the database file is gone, while a worker's event loop is stuck and while
/// mail waits too long, and 200 again once each recovers; `/healthz` stays 200 throughout.
@Suite struct ReadinessTests {
    struct Answer: Decodable {
        let status: String
        let reason: String?
        let checks: [String: String]
    }

    @Test func readyzNamesTheFailingPartAndRecovers() async throws {
        let directory = NSTemporaryDirectory() + "readyz-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        let offset = Mutex<TimeInterval>(0)
        var logger = Logger(label: "readyz")
        logger.logLevel = .critical
        let services = try await ControlPlaneServices(
            configuration: configuration, now: { Date().addingTimeInterval(offset.withLock { $0 }) }, logger: logger)
        let relay = try RelayService(configuration: .init(port: Int.random(in: 41_000..<59_000), workers: 2))
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let listening = ContinuousClock.now + .seconds(10)
        while !relay.isListening, ContinuousClock.now < listening { try await Task.sleep(for: .milliseconds(20)) }

        let readiness = ReadinessService(services: services)
        let router = Router()
        OperationsRoutes(relay: relay, readiness: [
            ReadinessCheck("database") { await readiness.database() },
            ReadinessCheck("outbox") { await readiness.outbox() },
        ]).register(on: router)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        do {
            try await app.test(.router) { client in
                func readyz() async throws -> (HTTPResponse.Status, Answer) {
                    try await client.execute(uri: "/readyz", method: .get) { response in
                        (response.status, try JSONDecoder().decode(Answer.self, from: Data(buffer: response.body)))
                    }
                }
                func healthz() async throws -> HTTPResponse.Status {
                    try await client.execute(uri: "/healthz", method: .get) { $0.status }
                }
                var (status, answer) = try await readyz()
                #expect(status == .ok && answer.status == "ready", "\(answer)")
                #expect(answer.checks == [
                    "database": "ok", "outbox": "ok", "relay worker 0": "ok", "relay worker 1": "ok",
                ])

                // The database file moved away: the open connection still answers, a restart would not.
                let file = services.database.sqliteFile
                #expect(rename(file, file + ".moved") == 0)
                (status, answer) = try await readyz()
                #expect(status == .serviceUnavailable && answer.status == "unavailable", "\(answer)")
                #expect(answer.reason?.hasPrefix("database: ") == true, "\(answer)")
                #expect(answer.checks["relay worker 0"] == "ok")
                #expect(try await healthz() == .ok)
                #expect(rename(file + ".moved", file) == 0)
                (status, answer) = try await readyz()
                #expect(status == .ok, "\(answer)")

                // Worker 1's event loop stuck for 4 s: the round trip times out; worker 0 is fine.
                let stuck = relay.workers[1].loop.submit { usleep(4_000_000) }
                (status, answer) = try await readyz()
                #expect(status == .serviceUnavailable, "\(answer)")
                #expect(answer.checks["relay worker 1"]?.hasPrefix("no answer within") == true, "\(answer)")
                #expect(answer.checks["relay worker 0"] == "ok" && answer.checks["database"] == "ok", "\(answer)")
                #expect(try await healthz() == .ok)
                // Asked again while the first probe still waits on the stuck loop: answered at once, no second probe.
                let again = ContinuousClock.now
                (status, answer) = try await readyz()
                #expect(status == .serviceUnavailable, "\(answer)")
                #expect(answer.checks["relay worker 1"] == "the previous check has not answered yet", "\(answer)")
                #expect(ContinuousClock.now - again < .seconds(1))
                try await stuck.get()
                // The probe that waited on the loop answers just after the loop is free again.
                let recovering = ContinuousClock.now + .seconds(2)
                repeat {
                    (status, answer) = try await readyz()
                    if status != .ok { try await Task.sleep(for: .milliseconds(50)) }
                } while status != .ok && ContinuousClock.now < recovering
                #expect(status == .ok, "\(answer)")

                // Mail pending for an hour (the clock moved on): the outbox is stuck until the message goes.
                let email = OutboxEmail(to: "learner@example.com", subject: "Booked", body: "See you", kind: "booking")
                try await email.create(on: services.database.db)
                (status, answer) = try await readyz()
                #expect(status == .ok, "a message just queued is no backlog: \(answer)")
                offset.withLock { $0 = 3_600 }
                (status, answer) = try await readyz()
                #expect(status == .serviceUnavailable, "\(answer)")
                #expect(answer.reason?.hasPrefix("outbox: 1 email(s) pending, the oldest for 3") == true, "\(answer)")
                email.status = .sent
                try await email.save(on: services.database.db)
                (status, answer) = try await readyz()
                #expect(status == .ok, "\(answer)")
            }
        } catch {
            await services.database.shutdown()
            throw error
        }
        await services.database.shutdown()
    }
}
