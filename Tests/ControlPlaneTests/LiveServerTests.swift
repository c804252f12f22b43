import ControlPlane
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The same router behind Hummingbird's real HTTP/1.1 server on a loopback socket.
@Suite struct LiveServerTests {
    @Test func registerAndBookOverARealSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-live-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        var logger = Logger(label: "live")
        logger.logLevel = .warning
        let services = try await ControlPlaneServices(configuration: configuration, logger: logger)
        let app = Application(
            router: ControlPlaneApplication.makeRouter(services: services),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in
            let register = try await client.execute(
                uri: "/api/auth/register", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"live","email":"live@example.com","password":"Passw0rd!x","role":"mentor"}"#))
            #expect(register.status == .created)
            let malformed = try await client.execute(uri: "/api/auth/login", method: .post, body: ByteBuffer(string: "{"))
            #expect(malformed.status == .badRequest)
            #expect(String(buffer: malformed.body).contains("\"error\":\"bad_request\""))
            let spec = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(spec.status == .ok)
        }
        await services.database.shutdown()
    }
}
