import Foundation
import Testing

/// Creating and editing sessions, and the draft → scheduled → active → completed lifecycle.
@Suite struct SessionTests {
    @Test(arguments: TestBackend.all)
    func onlyMentorsCreateSessionsWithUniqueRooms(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let body: [String: Any] = [
                "title": "Intro", "description": "Basics",
                "schedule": h.clock.now.addingTimeInterval(3600).formatted(TestHarness.iso), "duration": 45,
            ]
            #expect(try await h.call(.post, "/api/sessions", body: body).status == .unauthorized)
            #expect(try await h.call(.post, "/api/sessions", token: learner.token, body: body).status == .forbidden)
            let first = try await h.call(.post, "/api/sessions", token: mentor.token, body: body)
            let second = try await h.call(.post, "/api/sessions", token: mentor.token, body: body)
            #expect(first.status == .created)
            #expect(first["status"] as? String == "draft")
            #expect(first["max_participants"] as? Int == 10, "the seed's default")
            #expect(first["current_participants"] as? Int == 0)
            #expect((first["price"] as? NSNumber)?.doubleValue == 0)
            let room1 = try #require(first["meeting_room_id"] as? String)
            let room2 = try #require(second["meeting_room_id"] as? String)
            #expect(room1 != room2)
            #expect(room1.count >= 32)
            #expect(try await h.count("popularity_metrics") == 2, "one metrics row per session")
        }
    }

    @Test(arguments: TestBackend.all)
    func invalidSessionsAre422(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let future = h.clock.now.addingTimeInterval(3600).formatted(TestHarness.iso)
            let past = h.clock.now.addingTimeInterval(-3600).formatted(TestHarness.iso)
            let bad: [[String: Any]] = [
                ["title": "", "description": "d", "schedule": future, "duration": 30],
                ["title": "t", "description": " ", "schedule": future, "duration": 30],
                ["title": "t", "description": "d", "schedule": past, "duration": 30],
                ["title": "t", "description": "d", "schedule": future, "duration": 0],
                ["title": "t", "description": "d", "schedule": future, "duration": 30, "max_participants": 0],
                ["title": "t", "description": "d", "schedule": future, "duration": 30, "price": -5],
                ["title": "t", "description": "d", "schedule": future, "duration": 30, "price": 9.999],
                ["title": String(repeating: "x", count: 201), "description": "d", "schedule": future, "duration": 30],
            ]
            for body in bad {
                let result = try await h.call(.post, "/api/sessions", token: mentor.token, body: body)
                #expect(result.status == .unprocessableContent, "\(body)")
            }
            #expect(try await h.count("sessions") == 0)
        }
    }

    @Test(arguments: TestBackend.all)
    func lifecycleFollowsTheStateMachine(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let other = try await h.register("otto", role: "mentor")
            let id = try await h.createSession(mentor: mentor, schedule: false)
            func post(_ action: String, _ who: Account = mentor) async throws -> APIResult {
                try await h.call(.post, "/api/sessions/\(id)/\(action)", token: who.token)
            }
            #expect(try await post("start").status == .conflict, "draft cannot start")
            #expect(try await post("complete").status == .conflict, "draft cannot complete")
            #expect(try await post("schedule", other).status == .forbidden, "only its mentor")
            let scheduled = try await post("schedule")
            #expect(scheduled["status"] as? String == "scheduled")
            #expect(try await post("schedule").error == "illegal_transition")
            #expect(try await post("complete").status == .conflict, "scheduled cannot complete")
            #expect(try await post("start")["status"] as? String == "active")
            #expect(try await post("cancel").status == .conflict, "active cannot be cancelled")
            #expect(try await post("complete")["status"] as? String == "completed")
            for action in ["schedule", "start", "complete", "cancel"] {
                #expect(try await post(action).status == .conflict, "completed is final (\(action))")
            }
            let draft = try await h.createSession(mentor: mentor, schedule: false)
            #expect(try await h.call(.post, "/api/sessions/\(draft)/cancel", token: mentor.token)["status"] as? String == "cancelled")
            #expect(try await h.call(.post, "/api/sessions/\(draft)/schedule", token: mentor.token).status == .conflict)
        }
    }

    @Test(arguments: TestBackend.all)
    func draftsAreVisibleOnlyToTheirMentorAndViewsAreCounted(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let draft = try await h.createSession(mentor: mentor, schedule: false)
            #expect(try await h.call(.get, "/api/sessions/\(draft)", token: learner.token).status == .notFound)
            #expect(try await h.call(.get, "/api/sessions/\(draft)", token: mentor.token).status == .ok)
            let live = try await h.createSession(mentor: mentor)
            for _ in 0..<3 { #expect(try await h.call(.get, "/api/sessions/\(live)").status == .ok) }
            let metrics = try await h.call(.get, "/api/sessions/\(live)/metrics")
            #expect(metrics["view_count"] as? Int == 3)
            #expect(abs(((metrics["popularity_score"] as? NSNumber)?.doubleValue ?? 0) - log(4.0)) < 1e-9)
        }
    }

    @Test(arguments: TestBackend.all)
    func patchEditsOnlyOwnEditableSessions(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let other = try await h.register("otto", role: "mentor")
            let learner = try await h.register("leo")
            let learner2 = try await h.register("lia")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 3, price: 10)
            let edited = try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token,
                                          body: ["title": "Renamed", "skills_required": ["rust"], "price": 12.5])
            #expect(edited.status == .ok)
            #expect(edited["title"] as? String == "Renamed")
            #expect((edited["price"] as? NSNumber)?.doubleValue == 12.5)
            #expect(try await h.call(.patch, "/api/sessions/\(id)", token: other.token, body: ["title": "x"]).status == .forbidden)
            #expect(try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["duration": -1]).status == .unprocessableContent)

            #expect(try await h.book(id, learner: learner).status == .created)
            #expect(try await h.book(id, learner: learner2).status == .created)
            let shrink = try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["max_participants": 1])
            #expect(shrink.status == .conflict, "cannot drop below booked seats")
            #expect(try await h.session(id)["max_participants"] as? Int == 3)
            let reprice = try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["price": 99])
            #expect(reprice.status == .unprocessableContent, "price is fixed once booked")
            #expect(try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["max_participants": 2]).status == .ok)

            _ = try await h.call(.post, "/api/sessions/\(id)/start", token: mentor.token)
            #expect(try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["title": "late"]).status == .conflict)
        }
    }
}

@Suite struct SessionScheduleTests {
    @Test(arguments: TestBackend.all)
    func reschedulingNotifiesBookedLearnersAndPastDraftsCannotBePublished(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor)
            _ = try await h.book(id, learner: learner)
            let later = h.clock.now.addingTimeInterval(7200).formatted(TestHarness.iso)
            #expect(try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["schedule": later]).status == .ok)
            let notes = try await h.call(.get, "/api/notifications", token: learner.token).array
            #expect(notes.contains { $0["title"] as? String == "Session rescheduled" })
            #expect(try await h.count("email_outbox", where: "kind = 'session_rescheduled'") == 1)
            #expect(try await h.call(.patch, "/api/sessions/\(id)", token: mentor.token, body: ["title": "Same time"]).status == .ok)
            #expect(try await h.count("email_outbox", where: "kind = 'session_rescheduled'") == 1, "only a new date notifies")

            let draft = try await h.createSession(mentor: mentor, startsIn: 60, schedule: false)
            h.clock.advance(by: 120)
            let late = try await h.call(.post, "/api/sessions/\(draft)/schedule", token: mentor.token)
            #expect(late.status == .unprocessableContent)
        }
    }
}
