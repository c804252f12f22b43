@testable import ControlPlane
import FluentKit
import Foundation
import Testing

/// Feedback: completed sessions only, mentor or attendee only, once each; anonymity hides the author.
@Suite struct FeedbackTests {
    @Test(arguments: TestBackend.all)
    func feedbackRules(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let attendee = try await h.register("leo")
            let absentee = try await h.register("abe")
            let stranger = try await h.register("sam")
            let id = try await h.createSession(mentor: mentor, startsIn: 60)
            _ = try await h.book(id, learner: attendee)
            _ = try await h.book(id, learner: absentee)
            _ = try await h.call(.post, "/api/sessions/\(id)/room-token", token: attendee.token)
            // The relay records the attendee's connection; the absentee never connects.
            let room = try #require(try await LearningSession.find(UUID(uuidString: id), on: h.db)?.meetingRoomID)
            _ = try await AttendanceLedger(services: h.services).joined(roomID: room, userID: String(attendee.id))
            func give(_ who: Account, _ body: [String: Any]) async throws -> APIResult {
                try await h.call(.post, "/api/sessions/\(id)/feedback", token: who.token, body: body)
            }
            _ = try await h.call(.post, "/api/sessions/\(id)/start", token: mentor.token)
            let early = try await give(mentor, ["rating": 5])
            #expect(early.status == .conflict, "not before completion")
            #expect(early.error == "session_not_completed")
            _ = try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token)

            #expect(try await give(stranger, ["rating": 5]).status == .forbidden)
            #expect(try await give(absentee, ["rating": 5]).status == .forbidden, "booked but never joined")
            #expect(try await give(attendee, ["rating": 6]).status == .unprocessableContent)
            #expect(try await give(attendee, ["rating": 0]).status == .unprocessableContent)
            let learnerFeedback = try await give(attendee, ["rating": 4, "comment": "Great", "is_anonymous": true])
            #expect(learnerFeedback.status == .created)
            #expect(learnerFeedback["feedback_type"] as? String == "learner_feedback")
            #expect(learnerFeedback["user_id"] == nil, "anonymous hides the author")
            let duplicate = try await give(attendee, ["rating": 5])
            #expect(duplicate.status == .conflict)
            #expect(duplicate.error == "feedback_exists")
            let mentorFeedback = try await give(mentor, ["rating": 3])
            #expect(mentorFeedback["feedback_type"] as? String == "mentor_feedback")
            #expect((mentorFeedback["user_id"] as? NSNumber)?.int64Value == mentor.id)

            let listed = try await h.call(.get, "/api/sessions/\(id)/feedback").array
            #expect(listed.count == 2)
            #expect(!listed.contains { ($0["user_id"] as? NSNumber)?.int64Value == attendee.id })
            let metrics = try await h.call(.get, "/api/sessions/\(id)/metrics")
            // Learners' ratings only: the mentor's 3 is its own field, outside the average and the score.
            #expect((metrics["rating_average"] as? NSNumber)?.doubleValue == 4)
            #expect((metrics["mentor_rating"] as? NSNumber)?.doubleValue == 3)
        }
    }
}
