import ControlPlane
import FluentKit
import FluentSQL
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging

/// One isolated control plane per test: a fresh SQLite file in a temp directory, or a fresh PostgreSQL
/// schema, with the sandbox payment provider and a movable clock.
struct TestHarness: Sendable {
    let services: ControlPlaneServices
    let payments: SandboxPaymentProvider
    let clock: TestClock
    let client: any TestClientProtocol

    var db: any Database { services.database.db }
    var sql: any SQLDatabase { services.database.db as! any SQLDatabase }

    static func run(
        _ backend: TestBackend,
        configure: (inout PeerLearnConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("peerlearn-test-\(UUID().uuidString)").path
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        configuration.payment = PaymentSandboxRules(declineCardTokens: ["tok_decline"], declineAmountsCents: [666], declineAboveCents: 0)
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        if let url = backend.postgresURL {
            configuration.databaseURL = url
            configuration.databaseSchema = schema
        }
        configure(&configuration)
        let clock = TestClock()
        let payments = SandboxPaymentProvider(rules: configuration.payment)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let services = try await ControlPlaneServices(
            configuration: configuration, payments: payments, now: { clock.now }, logger: logger)
        let app = Application(router: ControlPlaneApplication.makeRouter(services: services), logger: logger)
        do {
            try await app.test(.router) { client in
                try await body(TestHarness(services: services, payments: payments, clock: clock, client: client))
            }
        } catch {
            await cleanUp(services: services, backend: backend, schema: schema, directory: directory)
            throw error
        }
        await cleanUp(services: services, backend: backend, schema: schema, directory: directory)
    }

    private static func cleanUp(services: ControlPlaneServices, backend: TestBackend, schema: String, directory: String) async {
        if backend.postgresURL != nil {
            try? await (services.database.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
        }
        await services.database.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
