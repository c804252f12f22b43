import Foundation
import Hummingbird

/// `/api/staff/...`: the staff tools (`StaffService`). Every route needs a staff or superuser caller
/// (read from the database on each call), and every change a `reason`, which goes to the audit log.
struct StaffRoutes: Sendable {
    let services: ControlPlaneServices

    struct ReasonInput: Decodable {
        var reason: String?
    }

    struct HiddenInput: Decodable {
        var hidden: Bool
        var reason: String?
    }

    func register(on api: RouterGroup<AppRequestContext>) {
        let staff = StaffService(services: services)
        @Sendable func caller(_ context: AppRequestContext) async throws -> AuthenticatedUser {
            let caller = try context.requireCaller()
            try await staff.requireStaff(caller)
            return caller
        }
        @Sendable func page(_ request: Request) throws -> Pagination {
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            var validator = Validator()
            guard let page = Pagination(query: query, validator: &validator) else {
                throw APIError.badRequest(validator.problems.joined(separator: "; "))
            }
            return page
        }
        api.get("staff/users") { request, context in
            _ = try await caller(context)
            let text = request.uri.queryParameters.get("q") ?? ""
            guard (1...200).contains(text.count) else { throw APIError.badRequest("q must be 1-200 characters") }
            let users = try await staff.findUsers(matching: text)
            return try BookingRoutes.jsonResponse(users.map(StaffUserResponse.init))
        }
        for (action, active) in [("deactivate", false), ("reactivate", true)] {
            api.post("staff/users/:id/\(action)") { request, context in
                let who = try await caller(context)
                let id = try context.parameters.require("id", as: Int64.self)
                let input = try await request.decode(as: ReasonInput.self, context: context)
                let reason = try StaffService.checked(input.reason)
                let user = try await staff.setActive(active, userID: id, staff: who, reason: reason)
                return try BookingRoutes.jsonResponse(StaffUserResponse(user))
            }
        }
        api.get("staff/users/:id/bookings") { _, context in
            _ = try await caller(context)
            let id = try context.parameters.require("id", as: Int64.self)
            let bookings = try await staff.bookings(ofUser: id)
            return try BookingRoutes.jsonResponse(bookings.map(BookingResponse.init))
        }
        api.post("staff/sessions/:id/cancel") { request, context in
            let who = try await caller(context)
            let input = try await request.decode(as: ReasonInput.self, context: context)
            let reason = try StaffService.checked(input.reason)
            let session = try await staff.cancelSession(try SessionRoutes.sessionID(context), staff: who, reason: reason)
            return SessionResponse(session)
        }
        api.post("staff/sessions/:id/hidden") { request, context in
            let who = try await caller(context)
            let input = try await request.decode(as: HiddenInput.self, context: context)
            let reason = try StaffService.checked(input.reason)
            try await staff.setSessionHidden(input.hidden, sessionID: try SessionRoutes.sessionID(context), staff: who, reason: reason)
            return Response(status: .noContent)
        }
        api.post("staff/feedback/:id/hidden") { request, context in
            let who = try await caller(context)
            let id = try context.parameters.require("id", as: Int64.self)
            let input = try await request.decode(as: HiddenInput.self, context: context)
            let reason = try StaffService.checked(input.reason)
            try await staff.setFeedbackHidden(input.hidden, feedbackID: id, staff: who, reason: reason)
            return Response(status: .noContent)
        }
        api.get("staff/payments") { request, context in
            _ = try await caller(context)
            let payments = try await staff.payments(try page(request))
            return try BookingRoutes.jsonResponse(payments.map(StaffPaymentResponse.init))
        }
        api.get("staff/refunds") { request, context in
            _ = try await caller(context)
            let refunds = try await staff.refunds(try page(request))
            return try BookingRoutes.jsonResponse(refunds.map(StaffRefundResponse.init))
        }
        api.get("staff/audit") { request, context in
            _ = try await caller(context)
            let actions = try await staff.audit(try page(request))
            return try BookingRoutes.jsonResponse(actions.map(StaffActionResponse.init))
        }
    }
}
