import Foundation
import Hummingbird

/// Mentorship requests (`RequestService`): a learner asks, the mentor accepts (arranging a private session)
/// or declines with a message; pending requests expire after the configured time.
struct RequestRoutes: Sendable {
    let services: ControlPlaneServices

    struct ResponseInput: Decodable {
        var responseMessage: String?
        /// Accepting: the private session's start, when the learner gave no preferred time (or another).
        var schedule: Date?
    }

    func register(on api: RouterGroup<AppRequestContext>) {
        let requests = RequestService(services: services)
        api.post("requests") { request, context in
            let caller = try context.requireCaller(role: .learner)
            let input = try await request.decode(as: RequestService.Ask.self, context: context)
            return EditedResponse(status: .created, response: RequestResponse(try await requests.create(input, learnerID: caller.id)))
        }
        api.get("requests") { _, context in
            let caller = try context.requireCaller()
            return try BookingRoutes.jsonResponse(try await requests.list(for: caller).map(RequestResponse.init))
        }
        for (action, status) in [("accept", RequestStatus.accepted), ("decline", RequestStatus.declined)] {
            api.post("requests/:id/\(action)") { request, context in
                let caller = try context.requireCaller(role: .mentor)
                let id = try context.parameters.require("id", as: Int64.self)
                var request = request
                let body = try await request.collectBody(upTo: context.maxUploadSize)
                let input = body.readableBytes == 0
                    ? ResponseInput(responseMessage: nil) : try await request.decode(as: ResponseInput.self, context: context)
                let answered = try await requests.respond(
                    id: id, mentorID: caller.id, status: status, message: input.responseMessage, schedule: input.schedule)
                return RequestResponse(answered)
            }
        }
    }
}
