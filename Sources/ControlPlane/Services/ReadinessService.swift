import FluentKit
import Foundation
import FluentSQL
import SQLKit
import SQLiteGroupCommit

/// What `/readyz` asks of the control plane: whether the database answers (and, on SQLite, whether its
/// file still opens afresh), and whether mail is leaving. Each answer is nil when ready, else a reason
/// fit for a public response: no paths, no SQL (the details go to the log).
public struct ReadinessService: Sendable {
    let services: ControlPlaneServices

    /// A message still pending after this long means the outbox is stuck (the SMTP relay refuses, say).
    public static let outboxMaximumWait: TimeInterval = 15 * 60

    public init(services: ControlPlaneServices) {
        self.services = services
    }

    public func database() async -> String? {
        do {
            _ = try await services.database.db.sql.raw("SELECT 1").all()
        } catch {
            services.logger.warning("readiness: the database did not answer", metadata: ["error": "\(error)"])
            return "the database did not answer a query"
        }
        if services.database.backend == .sqlite, let problem = SQLiteFileProbe.problem(path: services.database.sqliteFile) {
            services.logger.warning(
                "readiness: the database file does not open",
                metadata: ["path": "\(services.database.sqliteFile)", "error": "\(problem)"])
            return "the database file does not open afresh (a restart would fail)"
        }
        return nil
    }

    public func outbox() async -> String? {
        do {
            let pending = OutboxEmail.query(on: services.database.db).filter(\.$status == .pending)
            guard let oldest = try await pending.copy().sort(\.$createdAt, .ascending).first()?.createdAt else { return nil }
            let waited = services.clock().timeIntervalSince(oldest)
            guard waited > Self.outboxMaximumWait else { return nil }
            let count = try await pending.count()
            return "\(count) email(s) pending, the oldest for \(Int(waited)) s"
        } catch {
            services.logger.warning("readiness: the outbox could not be read", metadata: ["error": "\(error)"])
            return "the outbox could not be read"
        }
    }
}
