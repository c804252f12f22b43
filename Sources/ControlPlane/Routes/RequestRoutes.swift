import FluentKit
import Foundation
import Hummingbird

/// Mentorship requests: a learner asks, the mentor accepts (arranging a private session, `RequestService`)
/// or declines with a message; pending requests expire after the configured time.
struct RequestRoutes: Sendable {
    let services: ControlPlaneServices

    struct CreateInput: Decodable {
        var mentorId: Int64
        var subject: String
        var message: String
        var preferredSchedule: Date?
        var durationRequested: Int?
    }

    struct ResponseInput: Decodable {
        var responseMessage: String?
        /// Accepting: the private session's start, when the learner gave no preferred time (or another).
        var schedule: Date?
    }

    func register(on api: RouterGroup<AppRequestContext>) {
        api.post("requests") { request, context in
            let caller = try context.requireCaller(role: .learner)
            let input = try await request.decode(as: CreateInput.self, context: context)
            return EditedResponse(status: .created, response: try await self.create(input, learnerID: caller.id))
        }
        api.get("requests") { _, context in
            let caller = try context.requireCaller()
            try await self.expireStale()
            let query = MentorshipRequest.query(on: self.services.db)
            let requests = try await (caller.role == .mentor
                ? query.filter(\.$mentor.$id == caller.id) : query.filter(\.$learner.$id == caller.id))
                .sort(\.$createdAt, .descending).all()
            return try BookingRoutes.jsonResponse(requests.map(RequestResponse.init))
        }
        for (action, status) in [("accept", RequestStatus.accepted), ("decline", RequestStatus.declined)] {
            api.post("requests/:id/\(action)") { request, context in
                let caller = try context.requireCaller(role: .mentor)
                let id = try context.parameters.require("id", as: Int64.self)
                var request = request
                let body = try await request.collectBody(upTo: context.maxUploadSize)
                let input = body.readableBytes == 0
                    ? ResponseInput(responseMessage: nil) : try await request.decode(as: ResponseInput.self, context: context)
                let answered = try await RequestService(services: self.services).respond(
                    id: id, mentorID: caller.id, status: status, message: input.responseMessage, schedule: input.schedule)
                return RequestResponse(answered)
            }
        }
    }

    func create(_ input: CreateInput, learnerID: Int64) async throws -> RequestResponse {
        let subject = input.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        var validator = Validator()
        validator.require((1...200).contains(subject.count), "subject must be 1-200 characters")
        validator.require(!input.message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "message is required")
        validator.require(input.message.count <= 5000, "message is longer than 5000 characters")
        validator.require(input.durationRequested.map { (1...1440).contains($0) } ?? true, "duration_requested must be 1-1440 minutes")
        validator.require(input.preferredSchedule.map { $0 > services.now() } ?? true, "preferred_schedule must be in the future")
        try validator.check()
        let db = services.db
        guard let mentor = try await User.find(input.mentorId, on: db), mentor.isActive else { throw APIError.notFound("mentor") }
        guard mentor.role == .mentor else { throw APIError.unprocessable("mentor_id does not name a mentor") }
        let request = MentorshipRequest()
        request.$learner.id = learnerID
        request.$mentor.id = input.mentorId
        request.subject = subject
        request.message = input.message
        request.preferredSchedule = input.preferredSchedule
        request.durationRequested = input.durationRequested
        request.status = .pending
        request.createdAt = services.now()
        try await db.transaction { tx in
            try await request.create(on: tx)
            try await Notifier.notify(
                input.mentorId, title: "New request", message: "A learner asks: \(subject)",
                actionURL: "/api/requests", on: tx)
        }
        return RequestResponse(request)
    }

    /// Expires what ran out before any read or answer (`RequestExpiry`; the autopilot also sweeps).
    func expireStale() async throws {
        try await RequestExpiry(services: services).expireStale()
    }
}
