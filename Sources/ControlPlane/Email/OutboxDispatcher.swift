import FluentKit
import FluentSQL
import Foundation
import Logging
import ServiceLifecycle

/// Delivers the outbox: sends pending emails through a transport, marks them sent, retries failures up to a
/// limit. Each attempt is claimed with a conditional UPDATE first, so two dispatchers never send the same
/// attempt. Runs in the server's ServiceGroup when SMTP is configured; without it, mail stays in the outbox.
public struct OutboxDispatcher: Service {
    let database: PeerLearnDatabase
    let transport: any EmailTransport
    let from: String
    let interval: Duration
    let maxAttempts: Int
    let logger: Logger
    /// The control plane's clock (`ControlPlaneServices.clock`), for `sent_at`.
    let now: @Sendable () -> Date

    public init(database: PeerLearnDatabase, transport: any EmailTransport, from: String,
                interval: Duration = .seconds(10), maxAttempts: Int = 5, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.database = database
        self.transport = transport
        self.from = from
        self.interval = interval
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                _ = try await deliverPending()
            } catch {
                logger.error("outbox delivery failed: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass over pending mail; returns how many were sent.
    @discardableResult
    public func deliverPending(limit: Int = 50) async throws -> Int {
        let db = database.db
        let pending = try await OutboxEmail.query(on: db).filter(\.$status == .pending)
            .filter(\.$attempts < maxAttempts).sort(\.$id).limit(limit).all()
        var sent = 0
        for email in pending {
            let claimed = try await db.sql.raw("""
                UPDATE email_outbox SET attempts = attempts + 1 \
                WHERE id = \(bind: email.id!) AND status = 'pending' AND attempts = \(bind: email.attempts) RETURNING id
                """).all()
            guard !claimed.isEmpty else { continue }
            let attempt = email.attempts + 1
            do {
                try await transport.send(EmailMessage(from: from, to: email.toAddress, subject: email.subject, body: email.body))
                try await OutboxEmail.query(on: db).filter(\.$id == email.id!)
                    .set(\.$status, to: .sent).set(\.$sentAt, to: now()).set(\.$lastError, to: nil).update()
                sent += 1
            } catch {
                let status: EmailStatus = attempt >= maxAttempts ? .failed : .pending
                try await OutboxEmail.query(on: db).filter(\.$id == email.id!)
                    .set(\.$status, to: status).set(\.$lastError, to: String(describing: error)).update()
            }
        }
        return sent
    }
}
