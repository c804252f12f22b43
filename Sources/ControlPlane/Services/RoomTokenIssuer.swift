import FluentKit
import Foundation
import Metrics
import RoomToken
import Tracing

/// Issues room tokens: the seed's "System validates session permissions" step, done once here so the relay
/// only has to check a signature.
///
/// A token is issued only while the session is scheduled or active, and only inside the join window: from
/// `joinWindowSeconds` before the scheduled start until the scheduled end (an active session may overrun, so
/// while active the window stays open). The mentor gets `host`; a learner needs a confirmed, paid booking and
/// gets `participant`. A learner's first token marks their booking `is_ready`; attendance is recorded by
/// the relay when they actually connect (`AttendanceLedger`). With relay nodes registered (`RelayRegistry`),
/// the answer names the node the room is placed on.
struct RoomTokenIssuer: Sendable {
    let services: ControlPlaneServices

    /// Counted (`peerlearn_room_tokens_total`): issued by role, or refused by error code. Traced as
    /// `room_token.issue`.
    func issue(sessionID: UUID, callerID: Int64) async throws -> RoomTokenResponse {
        try await withSpan("room_token.issue") { span in
            span.attributes["peerlearn.session.id"] = sessionID.uuidString
            span.attributes["peerlearn.user.id"] = Int(callerID)
            do {
                let response = try await issueUncounted(sessionID: sessionID, callerID: callerID)
                Counter(label: "peerlearn_room_tokens_total", dimensions: [("outcome", "issued"), ("role", response.role)])
                    .increment()
                span.attributes["peerlearn.room_token.outcome"] = "issued"
                span.attributes["peerlearn.room_token.role"] = response.role
                return response
            } catch {
                let outcome = (error as? APIError)?.error ?? "error"
                Counter(label: "peerlearn_room_tokens_total", dimensions: [("outcome", outcome), ("role", "none")])
                    .increment()
                span.attributes["peerlearn.room_token.outcome"] = outcome
                throw error
            }
        }
    }

    private func issueUncounted(sessionID: UUID, callerID: Int64) async throws -> RoomTokenResponse {
        let db = services.db
        guard let session = try await LearningSession.find(sessionID, on: db), session.status != .draft else {
            throw APIError.notFound("session")
        }
        guard session.status == .scheduled || session.status == .active else {
            throw APIError.conflict("room_closed", "the room of a \(session.status.rawValue) session is closed")
        }
        let now = services.now()
        let opens = session.schedule.addingTimeInterval(-TimeInterval(services.configuration.joinWindowSeconds))
        guard now >= opens else {
            throw APIError.forbidden("the room opens at \(opens.formatted(.iso8601))")
        }
        guard session.status == .active || now <= session.end else {
            throw APIError.forbidden("the session's scheduled time is over")
        }
        let role: RoomRole
        if session.$mentor.id == callerID {
            role = .host
        } else {
            guard let booking = try await Booking.query(on: db)
                .filter(\.$session.$id == sessionID).filter(\.$learner.$id == callerID)
                .filter(\.$status == .confirmed).filter(\.$paymentStatus == .paid).first()
            else { throw APIError.forbidden("a confirmed, paid booking is required to join") }
            role = .participant
            // Attendance is the relay's to record (AttendanceLedger), when media actually connects;
            // asking for a token only says the learner is getting ready.
            if !booking.isReady {
                booking.isReady = true
                try await booking.save(on: db)
            }
        }
        let expiresAt = now.addingTimeInterval(TimeInterval(services.configuration.roomTokenLifetimeSeconds))
        let claims = RoomClaims(
            userID: callerID, sessionID: sessionID.uuidString.lowercased(), roomID: session.meetingRoomID, role: role,
            issuedAt: now, expiresAt: expiresAt, tokenID: UUID().uuidString.lowercased())
        // The room's node when relays run apart: its origin (placed on the least loaded one at its first
        // token), or for a learner once the origin is full, an edge that pipes the room from it.
        let node = try await services.relays.admit(roomID: session.meetingRoomID, host: role == .host)
        return RoomTokenResponse(
            token: try await services.roomTokens.sign(claims), role: role.rawValue, sessionId: sessionID,
            meetingRoomId: session.meetingRoomID, expiresAt: claims.expiration.value,
            relay: node.map { RelayEndpoints(node: $0, roomID: session.meetingRoomID) })
    }
}
