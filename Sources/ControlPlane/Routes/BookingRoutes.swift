import Foundation
import HTTPTypes
import Hummingbird

/// Booking a seat (with payment and `Idempotency-Key`), listing and cancelling bookings.
struct BookingRoutes: Sendable {
    let services: ControlPlaneServices

    struct BookInput: Decodable {
        /// The processor's card token; the sandbox declines the tokens its rules name.
        var cardToken: String?
    }

    func register(on api: RouterGroup<AppRequestContext>) {
        api.post("sessions/:id/bookings") { request, context in
            let caller = try context.requireCaller()
            guard caller.role == .learner else { throw APIError.forbidden("only learners may book sessions") }
            let sessionID = try SessionRoutes.sessionID(context)
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            let input = body.readableBytes == 0
                ? BookInput(cardToken: nil) : try await request.decode(as: BookInput.self, context: context)
            let key = request.headers[.idempotencyKey]
            let stored = try await IdempotencyService(services: self.services).perform(
                key: key, userID: caller.id, fingerprint: "POST /api/sessions/\(sessionID)/bookings"
            ) {
                let booking = try await BookingService(services: self.services).book(
                    sessionID: sessionID, learnerID: caller.id, cardToken: input.cardToken ?? "tok_sandbox",
                    idempotencyKey: key)
                return (.created, try Self.encode(BookingResponse(booking)))
            }
            var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
            if stored.replayed { headers[.idempotentReplayed] = "true" }
            return Response(status: stored.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored.body)))
        }
        api.get("bookings") { _, context in
            let caller = try context.requireCaller()
            let bookings = try await BookingService(services: self.services).bookings(ofLearner: caller.id)
            return try Self.jsonResponse(bookings.map(BookingResponse.init))
        }
        api.get("sessions/:id/bookings") { _, context in
            let caller = try context.requireCaller()
            let sessionID = try SessionRoutes.sessionID(context)
            let bookings = try await BookingService(services: self.services).bookings(ofSession: sessionID, mentorID: caller.id)
            return try Self.jsonResponse(bookings.map(BookingResponse.init))
        }
        api.post("bookings/:id/cancel") { _, context in
            let caller = try context.requireCaller()
            let id = try context.parameters.require("id", as: Int64.self)
            return BookingResponse(try await BookingService(services: self.services).cancel(bookingID: id, learnerID: caller.id))
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder().encode(value), as: UTF8.self)
    }

    static func jsonResponse(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: try encode(value))))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
