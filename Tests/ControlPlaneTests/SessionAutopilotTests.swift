@testable import ControlPlane
import Foundation
import Logging
import Testing

/// Sessions that run themselves: the mentor's connection starts one, a forgotten one completes after its
/// end plus the grace, a never-opened one is cancelled and refunded, and requests expire with nobody reading.
@Suite struct SessionAutopilotTests {
    static func autopilot(_ h: TestHarness) -> SessionAutopilot {
        SessionAutopilot(services: h.services, logger: Logger(label: "test"))
    }

    @Test(arguments: TestBackend.all)
    func aSessionStartsWhenItsMentorConnectsAndCompletesByItselfAfterTheGrace(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.autoCompleteGraceSeconds = 600 }) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let attendee = try await h.register("leo")
            let absentee = try await h.register("abe")
            let id = try await h.createSession(mentor: mentor, startsIn: 300, duration: 60)
            #expect(try await h.book(id, learner: attendee).status == .created)
            #expect(try await h.book(id, learner: absentee).status == .created)
            let room = try #require(try await LearningSession.find(UUID(uuidString: id), on: h.db)?.meetingRoomID)
            let ledger = AttendanceLedger(services: h.services)

            // A learner connecting early opens nothing; the mentor's connection does.
            _ = try await ledger.joined(roomID: room, userID: String(attendee.id))
            #expect(try await h.session(id)["status"] as? String == "scheduled")
            _ = try await ledger.joined(roomID: room, userID: String(mentor.id))
            #expect(try await h.session(id)["status"] as? String == "active")
            let started = try await h.call(.get, "/api/notifications", token: absentee.token).array
            #expect(started.contains { $0["title"] as? String == "Session started" })
            _ = try await ledger.joined(roomID: room, userID: String(mentor.id))  // a reconnect changes nothing

            // The mentor forgets to complete: nothing happens before end + grace, then it completes.
            h.clock.advance(by: 300 + 3600 + 590)
            #expect(try await Self.autopilot(h).sweep().completed == 0)
            #expect(try await h.session(id)["status"] as? String == "active")
            h.clock.advance(by: 20)
            #expect(try await Self.autopilot(h).sweep().completed == 1)
            #expect(try await h.session(id)["status"] as? String == "completed")
            #expect(try await Self.autopilot(h).sweep().completed == 0, "once")
            #expect(try await h.count("bookings", where: "learner_id = \(absentee.id) AND attendance_status = 'absent'") == 1)
            #expect(try await h.count("bookings", where: "learner_id = \(attendee.id) AND status = 'completed'") == 1)
            // The attendee is asked for feedback in the app and by email; the absentee is not.
            let asked = try await h.call(.get, "/api/notifications", token: attendee.token).array
            #expect(asked.contains { $0["title"] as? String == "How was it?" })
            #expect(try await h.count("email_outbox", where: "kind = 'feedback_request' AND to_address = 'leo@example.com'") == 1)
            #expect(try await h.count("email_outbox", where: "kind = 'feedback_request'") == 1)
            // The mentor's own click after the autopilot is a clear conflict, not a second completion.
            let late = try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token)
            #expect(late.status == .conflict && late.error == "illegal_transition")
        }
    }

    @Test(arguments: TestBackend.all)
    func aSessionItsMentorNeverOpenedIsCancelledAndRefunded(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.autoCompleteGraceSeconds = 0 }) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, startsIn: 300, duration: 30, price: 20)
            #expect(try await h.book(id, learner: learner, card: "tok_visa").status == .created)
            h.clock.advance(by: 300 + 1800 - 1)
            #expect(try await Self.autopilot(h).sweep().cancelled == 0, "not before its end")
            h.clock.advance(by: 2)
            #expect(try await Self.autopilot(h).sweep().cancelled == 1)
            #expect(try await h.session(id)["status"] as? String == "cancelled")
            #expect(try await h.count("bookings", where: "payment_status = 'refunded'") == 1)
            #expect(try await h.count("refund_outbox") == 1)
            let told = try await h.call(.get, "/api/notifications", token: learner.token).array
            #expect(told.contains { ($0["message"] as? String)?.contains("the mentor never opened the room") == true })
        }
    }

    @Test(arguments: TestBackend.all)
    func requestsExpireOnTheSweepWithNobodyReadingThem(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.requestExpirySeconds = 3600 }) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let created = try await h.call(.post, "/api/requests", token: learner.token, body: [
                "mentor_id": mentor.id, "subject": "Help with actors", "message": "Could we do 1:1?", "duration_requested": 45,
                "preferred_schedule": h.clock.now.addingTimeInterval(86400).formatted(TestHarness.iso),
            ])
            #expect(created.status == .created)
            h.clock.advance(by: 3599)
            #expect(try await Self.autopilot(h).sweep().requestsExpired == 0)
            h.clock.advance(by: 2)
            #expect(try await Self.autopilot(h).sweep().requestsExpired == 1)
            #expect(try await h.count("requests", where: "status = 'expired'") == 1)
        }
    }
}
