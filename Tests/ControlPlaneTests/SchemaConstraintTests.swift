import FluentKit
import FluentSQL
import Foundation
import Testing

/// The database itself refuses what the ERD forbids, even for writes that bypass the API.
@Suite struct SchemaConstraintTests {
    func rejects(_ h: TestHarness, _ statement: SQLQueryString) async -> Bool {
        do {
            try await h.sql.raw(statement).run()
            return false
        } catch let error as any DatabaseError {
            return error.isConstraintFailure
        } catch {
            return false
        }
    }

    @Test(arguments: TestBackend.all)
    func checksAndUniqueKeysHold(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 2)
            let session = try #require(UUID(uuidString: id))
            _ = try await h.book(id, learner: learner)
            let now = h.clock.now

            #expect(await rejects(h, "UPDATE sessions SET duration = 0 WHERE id = \(bind: session)"))
            #expect(await rejects(h, "UPDATE sessions SET max_participants = 0 WHERE id = \(bind: session)"))
            #expect(await rejects(h, "UPDATE sessions SET current_participants = -1 WHERE id = \(bind: session)"))
            #expect(await rejects(h, "UPDATE sessions SET current_participants = 3 WHERE id = \(bind: session)"), "never more than max")
            #expect(await rejects(h, "UPDATE sessions SET price_cents = -1 WHERE id = \(bind: session)"))
            #expect(await rejects(h, "UPDATE sessions SET status = 'paused' WHERE id = \(bind: session)"))
            #expect(await rejects(h, "UPDATE users SET hourly_rate_cents = -1 WHERE id = \(bind: mentor.id)"))
            #expect(await rejects(h, "UPDATE users SET role = 'admin' WHERE id = \(bind: mentor.id)"))
            #expect(await rejects(h, "UPDATE users SET email = 'leo@example.com' WHERE id = \(bind: mentor.id)"))
            #expect(await rejects(h, "UPDATE bookings SET payment_amount_cents = -5"))
            #expect(await rejects(h, "UPDATE bookings SET payment_status = 'lost'"))

            let other = try await h.createSession(mentor: mentor)
            #expect(await rejects(h, "UPDATE sessions SET meeting_room_id = (SELECT meeting_room_id FROM sessions WHERE id = \(bind: session)) WHERE id = \(bind: UUID(uuidString: other)!)"))
            #expect(await rejects(h, "INSERT INTO popularity_metrics (session_id, created_at) VALUES (\(bind: session), \(bind: now))"),
                    "one metrics row per session")
            #expect(await rejects(h, """
                INSERT INTO feedback (session_id, user_id, rating, feedback_type, created_at) \
                VALUES (\(bind: session), \(bind: learner.id), 6, 'learner_feedback', \(bind: now))
                """))
            #expect(await rejects(h, """
                INSERT INTO bookings (learner_id, session_id, status, payment_status, payment_amount_cents, booking_time, created_at) \
                VALUES (\(bind: learner.id), \(bind: session), 'confirmed', 'paid', 0, \(bind: now), \(bind: now))
                """), "one live booking per learner and session")
            try await h.sql.raw("""
                INSERT INTO follows (follower_id, mentor_id, created_at) VALUES (\(bind: learner.id), \(bind: mentor.id), \(bind: now))
                """).run()
            #expect(await rejects(h, """
                INSERT INTO follows (follower_id, mentor_id, created_at) VALUES (\(bind: learner.id), \(bind: mentor.id), \(bind: now))
                """), "unique (follower, mentor)")
            #expect(await rejects(h, """
                INSERT INTO requests (learner_id, mentor_id, subject, message, duration_requested, created_at) \
                VALUES (\(bind: learner.id), \(bind: mentor.id), 's', 'm', 0, \(bind: now))
                """))
            #expect(await rejects(h, "INSERT INTO notifications (user_id, title, message, priority, created_at) VALUES (\(bind: learner.id), 't', 'm', 'whenever', \(bind: now))"))
        }
    }

    @Test(arguments: TestBackend.all)
    func defaultsMatchTheSeed(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let now = h.clock.now
            let id = UUID()
            try await h.sql.raw("""
                INSERT INTO sessions (id, title, description, mentor_id, schedule, duration, meeting_room_id, created_at) \
                VALUES (\(bind: id), 't', 'd', \(bind: mentor.id), \(bind: now), 30, 'room-x', \(bind: now))
                """).run()
            let row = try #require(try await h.sql.raw("SELECT * FROM sessions WHERE id = \(bind: id)").first())
            #expect(try row.decode(column: "max_participants", as: Int.self) == 10)
            #expect(try row.decode(column: "current_participants", as: Int.self) == 0)
            #expect(try row.decode(column: "status", as: String.self) == "draft")
            #expect(try row.decode(column: "price_cents", as: Int.self) == 0)
            #expect(try row.decode(column: "is_public", as: Bool.self) == true)
            let user = try #require(try await h.sql.raw("SELECT * FROM users WHERE id = \(bind: mentor.id)").first())
            #expect(try user.decode(column: "is_active", as: Bool.self) == true)
            #expect(try user.decode(column: "is_staff", as: Bool.self) == false)
            #expect(try user.decode(column: "is_superuser", as: Bool.self) == false)
        }
    }
}
