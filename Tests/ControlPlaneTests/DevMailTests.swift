@testable import ControlPlane
import Foundation
import Logging
import Testing

/// With no SMTP relay, the outbox delivers to `.eml` files a developer reads at `/dev/mail`.
@Suite struct DevMailTests {
    @Test func aMessageRoundTripsThroughItsFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mail = MailDirectory(directory: directory)
        #expect(mail.list().isEmpty, "no directory yet is an empty list, not an error")
        try await mail.send(EmailTests.message)
        let listed = mail.list()
        #expect(listed.count == 1)
        let entry = try #require(listed.first)
        #expect(entry.subject == "Booked: Café  Bcc: evil@example.com", "decoded, and still one line")
        #expect(entry.to == "leo@example.com")
        #expect(entry.body == EmailTests.message.body)
        let raw = try String(contentsOfFile: directory + "/" + entry.name, encoding: .utf8)
        #expect(raw.hasPrefix("From: PeerLearn <no-reply@peerlearn.test>\r\nTo: leo@example.com\r\nSubject: =?UTF-8?B?"))
        #expect(!raw.contains("\r\nBcc:"))
        #expect(mail.read(entry.name) == entry)
        for hostile in ["../\(entry.name)", "x/\(entry.name)", "..eml", ".eml", "a.eml.txt", entry.name + "/"] {
            #expect(mail.read(hostile) == nil, "\(hostile)")
        }
    }

    @Test(arguments: TestBackend.all)
    func theFlowsMailIsListedOnTheDevelopmentPage(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            _ = try await h.register("mira", role: "mentor")
            let page = try await h.call(.get, "/dev/mail.json")
            #expect(page.status == .ok)
            #expect(page.array.isEmpty, "queued in the outbox, not delivered yet")
            let dispatcher = OutboxDispatcher(
                database: h.services.database, transport: MailDirectory(directory: h.services.configuration.mailDirectory),
                from: "PeerLearn <no-reply@peerlearn.test>", logger: Logger(label: "test"))
            #expect(try await dispatcher.deliverPending() == 1)
            let listed = try await h.call(.get, "/dev/mail.json").array
            #expect(listed.count == 1)
            #expect(listed.first?["subject"] as? String == "Welcome to PeerLearn")
            #expect((listed.first?["body"] as? String)?.contains("mentor account is ready") == true)
            let name = try #require(listed.first?["name"] as? String)
            let html = try await h.call(.get, "/dev/mail")
            #expect(html.status == .ok)
            #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(html.raw.contains("href=\"/dev/mail/\(name)\""))
            let one = try await h.call(.get, "/dev/mail/\(name)")
            #expect(one.status == .ok && one.raw.contains("mentor account is ready"))
            let missing = try await h.call(.get, "/dev/mail/0-nothere.eml")
            #expect(missing.status == .notFound && missing.object["reason"] != nil)
            #expect(try await dispatcher.deliverPending() == 0, "sent once")
        }
    }

    @Test func withSMTPConfiguredThereIsNoPage() async throws {
        try await TestHarness.run(TestBackend.all[0], configure: { $0.smtpHost = "127.0.0.1" }) { h in
            let page = try await h.call(.get, "/dev/mail")
            let json = try await h.call(.get, "/dev/mail.json")
            #expect(page.status == .notFound && json.status == .notFound)
        }
    }
}
