import FluentKit
import FluentSQL
import Foundation
import Hummingbird

/// `GET /api/sessions`: public, scheduled sessions filtered by skill, mentor, text and date, sorted by
/// schedule or popularity, paginated; and `GET /api/me/sessions`, a mentor's own sessions in every status.
struct SessionCatalog: Sendable {
    let services: ControlPlaneServices

    enum Sort: String { case schedule, popularity }

    func list(query: [String: String]) async throws -> SessionPage {
        var validator = Validator()
        let pagination = Pagination(query: query, validator: &validator)
        let mentor = query["mentor"].map { Int64($0) }
        let from = query["from"].map { Self.parseDate(String($0)) }
        let to = query["to"].map { Self.parseDate(String($0)) }
        let sort = query["sort"].map { Sort(rawValue: String($0)) } ?? .schedule
        validator.require(mentor.map { $0 != nil } ?? true, "mentor must be a user id")
        validator.require(from.map { $0 != nil } ?? true, "from must be an ISO 8601 date-time")
        validator.require(to.map { $0 != nil } ?? true, "to must be an ISO 8601 date-time")
        validator.require(sort != nil, "sort must be schedule or popularity")
        guard let pagination, validator.problems.isEmpty else {
            throw APIError.badRequest(validator.problems.joined(separator: "; "))
        }

        var filter: SQLQueryString = "sessions.is_public = \(bind: true) AND sessions.status = \(bind: SessionStatus.scheduled.rawValue)"
        filter += " AND COALESCE(sessions.is_hidden, \(bind: false)) = \(bind: false)"  // hidden by staff
        if let mentor = mentor ?? nil { filter += " AND sessions.mentor_id = \(bind: mentor)" }
        if let from = from ?? nil { filter += " AND sessions.schedule >= \(bind: from)" }
        if let to = to ?? nil { filter += " AND sessions.schedule < \(bind: to)" }
        if let text = query["q"], !text.isEmpty {
            let pattern = "%" + Self.escapeLike(text.lowercased()) + "%"
            filter += " AND (LOWER(sessions.title) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(sessions.description) LIKE \(bind: pattern) ESCAPE '\\')"
        }
        if let skill = query["skill"], !skill.isEmpty {
            // Tags are a JSON array in SQLite and a text[] in PostgreSQL.
            switch services.database.backend {
            case .sqlite:
                filter += " AND EXISTS (SELECT 1 FROM json_each(sessions.skills_required) WHERE LOWER(json_each.value) = \(bind: skill.lowercased()))"
            case .postgres:
                filter += " AND EXISTS (SELECT 1 FROM unnest(sessions.skills_required) AS tag(v) WHERE LOWER(tag.v) = \(bind: skill.lowercased()))"
            }
        }
        let order: SQLQueryString = sort! == .popularity
            ? "popularity_metrics.popularity_score DESC, sessions.schedule ASC, sessions.id ASC"
            : "sessions.schedule ASC, sessions.id ASC"
        let sql = services.db.sql
        let from_: SQLQueryString = " FROM sessions JOIN popularity_metrics ON popularity_metrics.session_id = sessions.id WHERE "
        let rows = try await sql.raw(
            "SELECT sessions.*" + from_ + filter + " ORDER BY " + order
                + " LIMIT \(bind: pagination.perPage) OFFSET \(bind: pagination.offset)"
        ).all(decodingFluent: LearningSession.self)
        let total = try await sql.raw("SELECT COUNT(*) AS total" + from_ + filter).first()?.decode(column: "total", as: Int.self) ?? 0
        return SessionPage(items: rows.map(SessionResponse.init), page: pagination.page, perPage: pagination.perPage, total: total)
    }

    /// Every session `mentorID` runs, drafts and private ones included, newest schedule first: the
    /// mentor's own view, so unlike `GET /api/sessions/{id}` it counts no views.
    func listMentored(by mentorID: Int64, query: [String: String]) async throws -> SessionPage {
        var validator = Validator()
        guard let pagination = Pagination(query: query, validator: &validator) else {
            throw APIError.badRequest(validator.problems.joined(separator: "; "))
        }
        let mine = LearningSession.query(on: services.db).filter(\.$mentor.$id == mentorID)
        let total = try await mine.copy().count()
        let rows = try await mine.sort(\.$schedule, .descending).sort(\.$id, .ascending)
            .range(pagination.offset..<(pagination.offset + pagination.perPage)).all()
        return SessionPage(items: rows.map(SessionResponse.init), page: pagination.page, perPage: pagination.perPage, total: total)
    }

    static func parseDate(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601))
    }

    /// Escapes LIKE wildcards so user text matches literally.
    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
