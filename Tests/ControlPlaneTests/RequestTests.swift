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
}
