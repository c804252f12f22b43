import ControlPlane
import Foundation
import Testing

/// Configuration: file over defaults, environment over file, refusal of unusable values, persistent keys.
@Suite struct ConfigurationTests {
    func tempFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func missingFileMeansDefaults() throws {
        let configuration = try PeerLearnConfiguration.load(path: "/nonexistent/peerlearn.json", environment: [:])
        #expect(configuration == PeerLearnConfiguration())
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.databaseURL.isEmpty)
        #expect(configuration.sqlitePath == "data/peerlearn.sqlite")
    }

    @Test func theShippedFileParsesToTheDefaults() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/peerlearn.json").path
        #expect(try PeerLearnConfiguration.load(path: shipped, environment: [:]) == PeerLearnConfiguration())
    }

    @Test func fileThenEnvironment() throws {
        let path = try tempFile(#"{"httpPort": 9000, "joinWindowSeconds": 60, "payment": {"declineAboveCents": 5000}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try PeerLearnConfiguration.load(path: path, environment: [:])
        #expect(fromFile.httpPort == 9000)
        #expect(fromFile.joinWindowSeconds == 60)
        #expect(fromFile.payment.declineAboveCents == 5000)
        #expect(fromFile.payment.declineCardTokens == ["tok_decline"], "unset nested keys keep defaults")
        #expect(fromFile.lateGraceSeconds == 600)

        let overridden = try PeerLearnConfiguration.load(path: path, environment: [
            "PEERLEARN_HTTP_PORT": "9100", "PEERLEARN_DATABASE_URL": "postgres://u:p@h/db",
            "PEERLEARN_PAYMENT_DECLINE_CARD_TOKENS": "tok_a, tok_b", "PEERLEARN_PAYMENT_DECLINE_AMOUNTS_CENTS": "100,200",
            "PEERLEARN_DATA_DIRECTORY": "/var/lib/peerlearn",
        ])
        #expect(overridden.httpPort == 9100)
        #expect(overridden.databaseURL == "postgres://u:p@h/db")
        #expect(overridden.payment.declineCardTokens == ["tok_a", "tok_b"])
        #expect(overridden.payment.declineAmountsCents == [100, 200])
        #expect(overridden.sqlitePath == "/var/lib/peerlearn/peerlearn.sqlite")
    }

    @Test func unusableValuesAreRefused() throws {
        #expect(throws: ConfigurationError.self) {
            try PeerLearnConfiguration.load(path: nil, environment: ["PEERLEARN_HTTP_PORT": "eighty"])
        }
        #expect(throws: ConfigurationError.self) {
            try PeerLearnConfiguration.load(path: nil, environment: ["PEERLEARN_HTTP_PORT": "70000"])
        }
        #expect(throws: ConfigurationError.self) {
            try PeerLearnConfiguration.load(path: nil, environment: ["PEERLEARN_BCRYPT_COST": "2"])
        }
        #expect(throws: ConfigurationError.self) {
            try PeerLearnConfiguration.load(path: nil, environment: ["PEERLEARN_DATABASE_SCHEMA": "x; DROP TABLE users"])
        }
        let broken = try tempFile("{\"httpPort\": \"x\"}")
        defer { try? FileManager.default.removeItem(atPath: broken) }
        #expect(throws: ConfigurationError.self) { try PeerLearnConfiguration.load(path: broken, environment: [:]) }
    }

    @Test func sandboxDeclineRules() {
        let rules = PaymentSandboxRules(declineCardTokens: ["tok_x"], declineAmountsCents: [1234], declineAboveCents: 10_000)
        #expect(rules.declineReason(amountCents: 500, cardToken: "tok_ok") == nil)
        #expect(rules.declineReason(amountCents: 500, cardToken: "tok_x") != nil)
        #expect(rules.declineReason(amountCents: 1234, cardToken: "tok_ok") != nil)
        #expect(rules.declineReason(amountCents: 10_000, cardToken: "tok_ok") == nil)
        #expect(rules.declineReason(amountCents: 10_001, cardToken: "tok_ok") != nil)
    }

    @Test func signingKeysAreGeneratedOnceAndKept() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        let first = try await ControlPlaneServices(configuration: configuration)
        await first.database.shutdown()
        let second = try await ControlPlaneServices(configuration: configuration)
        await second.database.shutdown()
        #expect(first.roomTokenSecret.count == 32)
        #expect(first.roomTokenSecret == second.roomTokenSecret)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/room-token.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(FileManager.default.fileExists(atPath: directory + "/peerlearn.sqlite"))

        configuration.roomTokenSigningKey = "dG9vIHNob3J0"
        await #expect(throws: ConfigurationError.self) { try await ControlPlaneServices(configuration: configuration) }
    }
}
