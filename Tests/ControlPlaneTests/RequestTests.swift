import Foundation
import Testing

/// Mentorship requests: learner → mentor, accept/decline with a message, expiry.
@Suite struct RequestTests {
    @Test(arguments: TestBackend.all)
    func learnerAsksMentorAnswers(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let other = try await h.register("otto", role: "mentor")
            let learner = try await h.register("leo")
            let body: [String: Any] = [
                "mentor_id": mentor.id, "subject": "Help with actors", "message": "Could we do 1:1?",
                "duration_requested": 45, "preferred_schedule": h.clock.now.addingTimeInterval(86400).formatted(TestHarness.iso),
            ]
            #expect(try await h.call(.post, "/api/requests", token: mentor.token, body: body).status == .forbidden, "learners ask")
            let created = try await h.call(.post, "/api/requests", token: learner.token, body: body)
            #expect(created.status == .created)
            #expect(created["status"] as? String == "pending")
            let id = try #require((created["id"] as? NSNumber)?.int64Value)
            let mentorNotes = try await h.call(.get, "/api/notifications", token: mentor.token)
            #expect(mentorNotes.array.contains { $0["title"] as? String == "New request" })
            #expect(try await h.call(.get, "/api/requests", token: mentor.token).array.count == 1)
            #expect(try await h.call(.get, "/api/requests", token: learner.token).array.count == 1)
            #expect(try await h.call(.get, "/api/requests", token: other.token).array.isEmpty)

            #expect(try await h.call(.post, "/api/requests/\(id)/accept", token: other.token).status == .forbidden)
            let accepted = try await h.call(.post, "/api/requests/\(id)/accept", token: mentor.token,
                                            body: ["response_message": "Sure, Tuesday?"])
            #expect(accepted.status == .ok)
            #expect(accepted["status"] as? String == "accepted")
            #expect(accepted["response_message"] as? String == "Sure, Tuesday?")
            #expect(accepted["responded_at"] is String)
            let again = try await h.call(.post, "/api/requests/\(id)/decline", token: mentor.token)
            #expect(again.status == .conflict)
            let learnerNotes = try await h.call(.get, "/api/notifications", token: learner.token)
            #expect(learnerNotes.array.contains { $0["message"] as? String == "Sure, Tuesday?" })

            let second = try await h.call(.post, "/api/requests", token: learner.token, body: body)
            let secondID = try #require((second["id"] as? NSNumber)?.int64Value)
            let declined = try await h.call(.post, "/api/requests/\(secondID)/decline", token: mentor.token)
            #expect(declined["status"] as? String == "declined")
            #expect(try await h.call(.post, "/api/requests/424242/accept", token: mentor.token).status == .notFound)
        }
    }

    @Test(arguments: TestBackend.all)
    func invalidRequestsAreRefused(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let peer = try await h.register("lia")
            func post(_ body: [String: Any]) async throws -> APIResult {
                try await h.call(.post, "/api/requests", token: learner.token, body: body)
            }
            #expect(try await post(["mentor_id": peer.id, "subject": "s", "message": "m"]).status == .unprocessableContent, "not a mentor")
            #expect(try await post(["mentor_id": 99999, "subject": "s", "message": "m"]).status == .notFound)
            #expect(try await post(["mentor_id": mentor.id, "subject": "", "message": "m"]).status == .unprocessableContent)
            #expect(try await post(["mentor_id": mentor.id, "subject": "s", "message": ""]).status == .unprocessableContent)
            #expect(try await post(["mentor_id": mentor.id, "subject": "s", "message": "m", "duration_requested": 0]).status == .unprocessableContent)
            #expect(try await h.count("requests") == 0)
        }
    }

    @Test(arguments: TestBackend.all)
    func pendingRequestsExpire(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.requestExpirySeconds = 3600 }) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let created = try await h.call(.post, "/api/requests", token: learner.token,
                                           body: ["mentor_id": mentor.id, "subject": "s", "message": "m"])
            let id = try #require((created["id"] as? NSNumber)?.int64Value)
            h.clock.advance(by: 3601)
            let late = try await h.call(.post, "/api/requests/\(id)/accept", token: mentor.token)
            #expect(late.status == .conflict)
            #expect(late.error == "request_expired")
            #expect(try await h.call(.get, "/api/requests", token: learner.token).array.first?["status"] as? String == "expired")
        }
    }

    /// Accepting arranges a private one-seat session at the requested time, priced from the hourly rate,
    /// which only the requester can book, through the ordinary payment step and its decline path.
    @Test(arguments: TestBackend.all)
    func acceptingArrangesAPrivateSessionOnlyTheRequesterCanBook(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor", extra: ["hourly_rate": 40])
            let learner = try await h.register("leo")
            let stranger = try await h.register("sam")
            let start = h.clock.now.addingTimeInterval(86400)
            let created = try await h.call(.post, "/api/requests", token: learner.token, body: [
                "mentor_id": mentor.id, "subject": "Actors in depth", "message": "Could we do 1:1?",
                "duration_requested": 90, "preferred_schedule": start.formatted(TestHarness.iso),
            ])
            let id = try #require((created["id"] as? NSNumber)?.int64Value)
            #expect(created["session_id"] == nil || created["session_id"] is NSNull)
            let accepted = try await h.call(.post, "/api/requests/\(id)/accept", token: mentor.token)
            #expect(accepted.status == .ok, "\(accepted.raw)")
            let sessionID = try #require(accepted["session_id"] as? String)
            let session = try await h.call(.get, "/api/sessions/\(sessionID)", token: learner.token)
            #expect(session["is_public"] as? Bool == false)
            #expect((session["max_participants"] as? NSNumber)?.intValue == 1)
            #expect((session["duration"] as? NSNumber)?.intValue == 90)
            #expect((session["price"] as? NSNumber)?.doubleValue == 60, "40/h for 90 min")
            #expect(session["status"] as? String == "scheduled")
            #expect(session["title"] as? String == "Actors in depth")
            let listed = try await h.call(.get, "/api/sessions")
            #expect(!listed.object.description.contains(sessionID), "private: not in the public list")

            // Both are told; the learner also by email.
            let learnerNotes = try await h.call(.get, "/api/notifications", token: learner.token).array
            #expect(learnerNotes.contains { $0["title"] as? String == "Request accepted" })
            let mentorNotes = try await h.call(.get, "/api/notifications", token: mentor.token).array
            #expect(mentorNotes.contains { $0["title"] as? String == "Private session arranged" })
            #expect(try await h.count("email_outbox", where: "kind = 'request_accepted' AND to_address = 'leo@example.com'") == 1)

            // Only the requester books it, through the payment step: a declined card, then a good one.
            let taken = try await h.book(sessionID, learner: stranger, card: "tok_visa")
            #expect(taken.status == .forbidden)
            let declined = try await h.book(sessionID, learner: learner, card: "tok_decline")
            #expect(declined.status.code == 402 && declined.error == "payment_failed")
            #expect(try await h.session(sessionID)["current_participants"] as? Int == 0, "the seat is back")
            let booked = try await h.book(sessionID, learner: learner, card: "tok_visa")
            #expect(booked.status == .created)
            #expect(try await h.session(sessionID)["current_participants"] as? Int == 1)
            #expect((booked["payment_amount"] as? NSNumber)?.doubleValue == 60)
        }
    }

    @Test(arguments: TestBackend.all)
    func aFreeRequestIsBookedAtOnceAndATimelessOneNeedsASchedule(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let created = try await h.call(.post, "/api/requests", token: learner.token, body: [
                "mentor_id": mentor.id, "subject": "Quick question", "message": "Ten minutes?", "duration_requested": 10,
            ])
            let id = try #require((created["id"] as? NSNumber)?.int64Value)
            let noTime = try await h.call(.post, "/api/requests/\(id)/accept", token: mentor.token)
            #expect(noTime.status == .unprocessableContent, "no preferred time and none given")
            #expect(try await h.count("sessions") == 0, "nothing half-made")
            let past = try await h.call(.post, "/api/requests/\(id)/accept", token: mentor.token,
                                        body: ["schedule": h.clock.now.addingTimeInterval(-60).formatted(TestHarness.iso)])
            #expect(past.status == .unprocessableContent)
            let accepted = try await h.call(.post, "/api/requests/\(id)/accept", token: mentor.token,
                                            body: ["schedule": h.clock.now.addingTimeInterval(7200).formatted(TestHarness.iso)])
            #expect(accepted.status == .ok, "\(accepted.raw)")
            let sessionID = try #require(accepted["session_id"] as? String)
            // No hourly rate: free, so the learner holds a confirmed booking without a payment step.
            let bookings = try await h.call(.get, "/api/bookings", token: learner.token).array
            #expect(bookings.contains { $0["session_id"] as? String == sessionID && $0["status"] as? String == "confirmed" })
            #expect(try await h.session(sessionID)["current_participants"] as? Int == 1)
        }
    }
}
