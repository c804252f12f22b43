import FluentKit
import Foundation
import Logging
import ServiceLifecycle

/// Sessions that run themselves (the seed's video flow without a mentor pressing buttons): a scheduled
/// session becomes active when its mentor first connects to the room (`AttendanceLedger.joined`); one
/// still active `autoCompleteGraceSeconds` after its scheduled end completes
/// (absentees marked, attendees asked for feedback in-app and by email); one still scheduled then, whose
/// mentor never came, is cancelled and refunded. Pending requests past their expiry are expired on the
/// same sweep, so expiry does not wait for someone to read them.
///
/// Every change goes through `SessionLifecycle`'s conditional UPDATE, so a sweep racing the mentor's own
/// click (or a second server) changes each session once.
public struct SessionAutopilot: Service {
    let services: ControlPlaneServices
    let logger: Logger
    /// Sessions looked at per sweep; the rest wait for the next one.
    static let batch = 200

    public init(services: ControlPlaneServices, logger: Logger) {
        self.services = services
        self.logger = logger
    }

    public func run() async throws {
        let interval = Duration.seconds(services.configuration.autopilotIntervalSeconds)
        while !Task.isShuttingDownGracefully {
            do {
                try await sweep()
            } catch {
                logger.error("session autopilot sweep failed: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass: what changed (for tests and logs).
    @discardableResult
    public func sweep() async throws -> (completed: Int, cancelled: Int, requestsExpired: Int) {
        let now = services.now()
        let grace = TimeInterval(services.configuration.autoCompleteGraceSeconds)
        // `schedule < now - grace` is necessary for `end + grace <= now` (duration >= 0); the exact test,
        // which needs the duration, is made here rather than in dialect-specific SQL.
        let candidates = try await LearningSession.query(on: services.db)
            .filter(\.$status ~~ [.active, .scheduled]).filter(\.$schedule < now.addingTimeInterval(-grace))
            .sort(\.$schedule).limit(Self.batch).all()
        let lifecycle = SessionLifecycle(services: services)
        var completed = 0
        var cancelled = 0
        for session in candidates where session.end.addingTimeInterval(grace) <= now {
            guard let id = session.id else { continue }
            if session.status == .active {
                if try await lifecycle.applyAutomatically(.complete, sessionID: id, because: "ran past its end") != nil {
                    completed += 1
                    logger.info("session \(id) completed by itself, \(Int(grace)) s after its scheduled end")
                }
            } else if try await lifecycle.applyAutomatically(
                .cancel, sessionID: id, because: "was cancelled: the mentor never opened the room") != nil
            {
                cancelled += 1
                logger.info("session \(id) cancelled: its mentor never connected")
            }
        }
        let expired = try await RequestExpiry(services: services).expireStale()
        return (completed, cancelled, expired)
    }
}

/// Pending mentorship requests older than `requestExpirySeconds` become `expired`: on the autopilot's
/// sweep, and before any read or answer of requests (so nothing acts on one that has just run out).
struct RequestExpiry: Sendable {
    let services: ControlPlaneServices

    @discardableResult
    func expireStale() async throws -> Int {
        let cutoff = services.now().addingTimeInterval(-TimeInterval(services.configuration.requestExpirySeconds))
        let stale = MentorshipRequest.query(on: services.db).filter(\.$status == .pending).filter(\.$createdAt < cutoff)
        let count = try await stale.count()
        guard count > 0 else { return 0 }
        try await MentorshipRequest.query(on: services.db).filter(\.$status == .pending).filter(\.$createdAt < cutoff)
            .set(\.$status, to: .expired).update()
        return count
    }
}
