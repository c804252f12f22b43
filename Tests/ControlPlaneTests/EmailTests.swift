@testable import ControlPlane
import Foundation
import Glibc
import NIOCore
import Synchronization
import Testing

/// The outbox's delivery: the SMTP conversation, the transport over a real socket, and the dispatcher.
@Suite struct EmailTests {
    static let message = EmailMessage(from: "PeerLearn <no-reply@peerlearn.test>", to: "leo@example.com",
                                      subject: "Booked: Café\r\nBcc: evil@example.com", body: "Hello.\r\n.\r\nStill here")

    @Test func conversationFollowsRFC5321() throws {
        var smtp = SMTPConversation(message: Self.message, heloName: "test.local", date: Date(timeIntervalSince1970: 0), messageID: "m1@test")
        #expect(smtp.receive(line: "220 mx ESMTP") == .send("EHLO test.local\r\n"))
        #expect(smtp.receive(line: "250-mx greets you") == nil, "multi-line reply continues")
        #expect(smtp.receive(line: "250-PIPELINING") == nil)
        #expect(smtp.receive(line: "250 8BITMIME") == .send("MAIL FROM:<no-reply@peerlearn.test>\r\n"))
        #expect(smtp.receive(line: "250 OK") == .send("RCPT TO:<leo@example.com>\r\n"))
        #expect(smtp.receive(line: "251 will forward") == .send("DATA\r\n"))
        guard case .send(let data)? = smtp.receive(line: "354 go ahead") else { Issue.record("no data"); return }
        #expect(data.hasSuffix("\r\n.\r\n"))
        #expect(data.contains("Subject: =?UTF-8?B?"), "non-ASCII subject is RFC 2047 encoded")
        #expect(!data.contains("\r\nBcc:"), "no header injection through the subject")
        #expect(data.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(data.contains("Message-ID: <m1@test>"))
        let body = data.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n.\r\n", with: "")
        #expect(String(data: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: ""))!, encoding: .utf8) == Self.message.body)
        #expect(smtp.receive(line: "250 queued") == .send("QUIT\r\n"))
        #expect(smtp.receive(line: "221 bye") == .finished)
    }

    @Test func conversationReportsRefusals() {
        var refused = SMTPConversation(message: Self.message, heloName: "h", date: Date(), messageID: "m")
        _ = refused.receive(line: "220 hi")
        _ = refused.receive(line: "250 ok")
        _ = refused.receive(line: "250 ok")
        #expect(refused.receive(line: "550 no such user") == .failed("550 no such user"))
        var garbage = SMTPConversation(message: Self.message, heloName: "h", date: Date(), messageID: "m")
        #expect(garbage.receive(line: "hello?") == .failed("malformed reply: hello?"))
        var busy = SMTPConversation(message: Self.message, heloName: "h", date: Date(), messageID: "m")
        #expect(busy.receive(line: "421 try later") == .failed("421 try later"))
    }

    @Test func readLineStripsCRLF() {
        var buffer = ByteBuffer(string: "250-a\r\n250 b\r\npartial")
        #expect(SMTPTransport.readLine(&buffer) == "250-a")
        #expect(SMTPTransport.readLine(&buffer) == "250 b")
        #expect(SMTPTransport.readLine(&buffer) == nil)
        #expect(buffer.readableBytes == 7)
    }

    @Test func dotStuffing() {
        #expect(SMTPConversation.dotStuffed("a\r\n.b\r\n..c") == "a\r\n..b\r\n...c")
    }

    /// The timeout is generous on purpose: the suite starts hundreds of cases at once on 2 cores, and a 10 s bound
    /// once expired mid-conversation in CI. This test is about what the replies mean, not how fast they come.
    @Test func transportDeliversToARealSocket() async throws {
        let server = try await FakeSMTPServer.start()
        try await SMTPTransport(host: "127.0.0.1", port: server.port, timeout: .seconds(120)).send(Self.message)
        let received = server.received
        #expect(received.contains("EHLO peerlearn.local"))
        #expect(received.contains("RCPT TO:<leo@example.com>"))
        #expect(received.contains("QUIT"))
        try await server.close()

        let refusing = try await FakeSMTPServer.start(rcptReply: "550 mailbox unavailable")
        await #expect(throws: SMTPTransport.SMTPError.rejected("550 mailbox unavailable")) {
            try await SMTPTransport(host: "127.0.0.1", port: refusing.port, timeout: .seconds(120)).send(Self.message)
        }
        try await refusing.close()
    }

    final class RecordingTransport: EmailTransport {
        let sent = Mutex<[EmailMessage]>([])
        let failures = Mutex(0)
        func send(_ message: EmailMessage) async throws {
            if failures.withLock({ count in defer { count = max(0, count - 1) }; return count > 0 }) {
                throw SMTPTransport.SMTPError.connectionClosed
            }
            sent.withLock { $0.append(message) }
        }
    }

    @Test(arguments: TestBackend.all)
    func dispatcherSendsRetriesAndGivesUp(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            _ = try await h.register("leo")
            _ = try await h.register("lia")
            let transport = RecordingTransport()
            transport.failures.withLock { $0 = 1 }
            let dispatcher = OutboxDispatcher(database: h.services.database, transport: transport,
                                              from: "PeerLearn <no-reply@peerlearn.test>", maxAttempts: 2, logger: .init(label: "t"))
            #expect(try await dispatcher.deliverPending() == 1, "first welcome email fails once, second goes out")
            #expect(try await dispatcher.deliverPending() == 1, "the failed one is retried")
            #expect(try await dispatcher.deliverPending() == 0)
            #expect(try await h.count("email_outbox", where: "status = 'sent'") == 2)
            #expect(transport.sent.withLock { $0.map(\.to).sorted() } == ["leo@example.com", "lia@example.com"])

            _ = try await h.register("max")
            transport.failures.withLock { $0 = 5 }
            _ = try await dispatcher.deliverPending()
            _ = try await dispatcher.deliverPending()
            #expect(try await h.count("email_outbox", where: "status = 'failed' AND attempts = 2 AND last_error IS NOT NULL") == 1)
            #expect(try await dispatcher.deliverPending() == 0, "given up after maxAttempts")
        }
    }
}

/// A minimal SMTP server on 127.0.0.1 for the transport test, on a plain thread with blocking sockets
/// (independent of the NIO code under test): answers every command and records what it got.
final class FakeSMTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var lines: [String] = []
    private let rcptReply: String

    var received: String { lock.withLock { lines.joined(separator: "\n") } }

    private init(listener: Int32, port: Int, rcptReply: String) {
        self.listener = listener
        self.port = port
        self.rcptReply = rcptReply
    }

    static func start(rcptReply: String = "250 OK") async throws -> FakeSMTPServer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw SMTPTransport.SMTPError.connectionClosed }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let server = FakeSMTPServer(listener: fd, port: Int(UInt16(bigEndian: address.sin_port)), rcptReply: rcptReply)
        Thread.detachNewThread { server.serveOne() }
        return server
    }

    private func serveOne() {
        let client = accept(listener, nil, nil)
        guard client >= 0 else { return }
        defer { Glibc.close(client) }
        func reply(_ text: String) { _ = Array((text + "\r\n").utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) } }
        reply("220 fake ESMTP")
        var pending = [UInt8]()
        var inData = false
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(client, &chunk, chunk.count, 0)
            if count <= 0 { return }
            pending.append(contentsOf: chunk[0..<count])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line.hasSuffix("\r") { line.removeLast() }
                lock.withLock { lines.append(line) }
                if inData {
                    if line == "." { inData = false; reply("250 queued") }
                    continue
                }
                switch line.prefix(4).uppercased() {
                case "EHLO": reply("250-fake\r\n250 8BITMIME")
                case "MAIL": reply("250 OK")
                case "RCPT": reply(rcptReply)
                case "DATA": inData = true; reply("354 go")
                case "QUIT": reply("221 bye"); return
                default: reply("500 what")
                }
            }
        }
    }

    func close() async throws {
        shutdown(listener, Int32(SHUT_RDWR))
        _ = Glibc.close(listener)
    }
}
