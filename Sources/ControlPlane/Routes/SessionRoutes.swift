import Foundation
import Hummingbird

/// Creating, browsing and editing sessions (`SessionService`, `SessionCatalog`), and their status
/// transitions (`SessionLifecycle`).
struct SessionRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        let sessions = SessionService(services: services)
        api.post("sessions") { request, context in
            let caller = try context.requireCaller(role: .mentor)
            let input = try await request.decode(as: SessionService.Draft.self, context: context)
            return EditedResponse(status: .created, response: try await sessions.create(input, mentorID: caller.id))
        }
        api.get("sessions") { request, _ in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            return try await SessionCatalog(services: self.services).list(query: query)
        }
        api.get("me/sessions") { request, context in
            let caller = try context.requireCaller()
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            return try await SessionCatalog(services: self.services).listMentored(by: caller.id, query: query)
        }
        api.get("sessions/:id") { _, context in
            SessionResponse(try await sessions.view(try Self.sessionID(context), viewerID: context.caller?.id))
        }
        api.patch("sessions/:id") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decode(as: SessionService.Edit.self, context: context)
            return try await sessions.update(try Self.sessionID(context), input, callerID: caller.id)
        }
        for transition in SessionTransition.allCases {
            api.post("sessions/:id/\(transition.rawValue)") { _, context in
                let caller = try context.requireCaller()
                let session = try await SessionLifecycle(services: self.services)
                    .apply(transition, sessionID: try Self.sessionID(context), callerID: caller.id)
                return SessionResponse(session)
            }
        }
    }

    static func sessionID(_ context: AppRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError.notFound("session")
        }
        return id
    }

    /// `SessionService.newRoomID`, under the name `BookingBenchmark` still calls it by.
    static func newRoomID() -> String { SessionService.newRoomID() }
}
