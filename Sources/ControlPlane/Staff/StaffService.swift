import FluentKit
import FluentSQL
import Foundation

/// What `is_staff` / `is_superuser` users may do: deactivate and reactivate accounts, cancel any session
/// (with refunds), hide a session or a feedback entry from public lists, and read payments, refunds and a
/// user's bookings. Every change writes its `StaffAction` (who, what, when, why) in the same transaction.
struct StaffService: Sendable {
    let services: ControlPlaneServices

    /// The caller's staff rights, read from the row (never from the token, so revoking them acts at once).
    func requireStaff(_ caller: AuthenticatedUser) async throws {
        guard let user = try await User.find(caller.id, on: services.db), user.isActive, user.isStaff || user.isSuperuser else {
            throw APIError.forbidden("only PeerLearn staff may do this")
        }
    }

    static func checked(_ reason: String?) throws -> String {
        let reason = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...1000).contains(reason.count) else { throw APIError.unprocessable("reason is required (1-1000 characters)") }
        return reason
    }

    /// Deactivated: every access token and room token of the user is refused from the next request on
    /// (both are checked against `is_active`); reactivated: they work again.
    func setActive(_ active: Bool, userID: Int64, staff: AuthenticatedUser, reason: String) async throws -> User {
        guard userID != staff.id else { throw APIError.unprocessable("staff cannot deactivate or reactivate themselves") }
        try await services.db.transaction { tx in
            guard let user = try await User.find(userID, on: tx) else { throw APIError.notFound("user") }
            if user.isSuperuser && !active, try await User.find(staff.id, on: tx)?.isSuperuser != true {
                throw APIError.forbidden("only a superuser may deactivate a superuser")
            }
            user.isActive = active
            try await user.save(on: tx)
            try await audit(
                active ? "reactivate_user" : "deactivate_user", "user", String(userID), by: staff, reason: reason, on: tx)
        }
        guard let user = try await User.find(userID, on: services.db) else { throw APIError.notFound("user") }
        return user
    }

    /// Cancels any mentor's session as the mentor could (learners refunded and told), and logs it.
    func cancelSession(_ sessionID: UUID, staff: AuthenticatedUser, reason: String) async throws -> LearningSession {
        guard try await LearningSession.find(sessionID, on: services.db) != nil else { throw APIError.notFound("session") }
        guard let session = try await SessionLifecycle(services: services).applyAutomatically(
            .cancel, sessionID: sessionID, because: "was cancelled by PeerLearn staff: \(reason)")
        else {
            throw APIError.conflict("illegal_transition", "only a draft or scheduled session can be cancelled")
        }
        try await audit(
            "cancel_session", "session", sessionID.uuidString.lowercased(), by: staff, reason: reason, on: services.db)
        return session
    }

    func setSessionHidden(_ hidden: Bool, sessionID: UUID, staff: AuthenticatedUser, reason: String) async throws {
        try await setHidden(hidden, LearningSession.self, id: sessionID, auditID: sessionID.uuidString.lowercased(),
                            staff: staff, reason: reason)
    }

    func setFeedbackHidden(_ hidden: Bool, feedbackID: Int64, staff: AuthenticatedUser, reason: String) async throws {
        try await setHidden(hidden, Feedback.self, id: feedbackID, auditID: String(feedbackID), staff: staff, reason: reason)
    }

    /// Hides a row from public lists (or shows it again) and logs it, in one transaction.
    private func setHidden<Row: StaffHideable>(
        _ hidden: Bool, _ row: Row.Type, id: Row.IDValue, auditID: String, staff: AuthenticatedUser, reason: String
    ) async throws {
        try await services.db.transaction { tx in
            guard let found = try await Row.find(id, on: tx) else { throw APIError.notFound(Row.auditName) }
            found.isHidden = hidden
            try await found.save(on: tx)
            try await audit(
                (hidden ? "hide_" : "show_") + Row.auditName, Row.auditName, auditID, by: staff, reason: reason, on: tx)
        }
    }

    /// The audit row of a staff action, on the caller's transaction when it has one.
    private func audit(
        _ action: String, _ targetType: String, _ targetID: String, by staff: AuthenticatedUser, reason: String,
        on db: any Database
    ) async throws {
        try await StaffAction(
            staffID: staff.id, action: action, targetType: targetType, targetID: targetID, reason: reason,
            at: services.now()
        ).create(on: db)
    }

    func payments(_ page: Pagination) async throws -> [Payment] {
        try await Payment.query(on: services.db).sort(\.$id, .descending).range(page.offset..<(page.offset + page.perPage)).all()
    }

    func refunds(_ page: Pagination) async throws -> [RefundOutboxEntry] {
        try await RefundOutboxEntry.query(on: services.db).sort(\.$id, .descending).range(page.offset..<(page.offset + page.perPage)).all()
    }

    func bookings(ofUser userID: Int64) async throws -> [Booking] {
        guard try await User.find(userID, on: services.db) != nil else { throw APIError.notFound("user") }
        return try await Booking.query(on: services.db).filter(\.$learner.$id == userID).sort(\.$id, .descending).limit(500).all()
    }

    func audit(_ page: Pagination) async throws -> [StaffAction] {
        try await StaffAction.query(on: services.db).sort(\.$id, .descending).range(page.offset..<(page.offset + page.perPage)).all()
    }

    /// Finds users by username or email fragment (staff look people up before acting on them).
    func findUsers(matching text: String) async throws -> [User] {
        let pattern = "%" + SessionCatalog.escapeLike(text.lowercased()) + "%"
        let ids = try await services.db.sql.raw("""
            SELECT id FROM users WHERE LOWER(username) LIKE \(bind: pattern) ESCAPE '\\' \
            OR LOWER(email) LIKE \(bind: pattern) ESCAPE '\\' ORDER BY id LIMIT 50
            """).all().map { try $0.decode(column: "id", as: Int64.self) }
        return ids.isEmpty ? [] : try await User.query(on: services.db).filter(\.$id ~~ ids).sort(\.$id).all()
    }
}

/// A row staff can hide from public lists; `auditName` names it in the audit log and in a 404.
protocol StaffHideable: Model {
    static var auditName: String { get }
    var isHidden: Bool? { get set }
}

extension LearningSession: StaffHideable {
    static var auditName: String { "session" }
}

extension Feedback: StaffHideable {
    static var auditName: String { "feedback" }
}
