import ControlPlane
import FluentSQL
import Foundation
import Testing

/// Completing or cancelling a session ends its live room through `ControlPlaneServices.sessionEnd`: once
/// per session, only after the transition has committed, and never for a transition that failed.
@Suite struct SessionEndHookTests {
    /// One call of the hook and what the database said while it ran (read on the pool, so only committed
    /// rows are visible).
    struct Call: Sendable, Equatable {
        var roomID: String
        var reason: SessionEndHook.Reason
        var sessionStatus: String
        var openBookings: Int
    }

    actor Calls {
        var values: [Call] = []
        func append(_ call: Call) { values.append(call) }
    }

    /// Connects a recording handler and returns what it records.
    static func record(_ h: TestHarness) -> Calls {
        let calls = Calls()
        h.services.sessionEnd.connect { roomID, reason in
            let status = try? await h.sql.raw(
                "SELECT status FROM sessions WHERE meeting_room_id = \(bind: roomID)").first()?
                .decode(column: "status", as: String.self)
            let open = try? await h.sql.raw("""
                SELECT COUNT(*) AS n FROM bookings WHERE status = 'confirmed' \
                AND session_id IN (SELECT id FROM sessions WHERE meeting_room_id = \(bind: roomID))
                """).first()?.decode(column: "n", as: Int.self)
            await calls.append(Call(roomID: roomID, reason: reason, sessionStatus: status ?? "?", openBookings: open ?? -1))
        }
        return calls
    }

    static func room(_ h: TestHarness, _ id: String, _ token: String) async throws -> String {
        try #require(try await h.call(.get, "/api/sessions/\(id)", token: token)["meeting_room_id"] as? String)
    }

    @Test(arguments: TestBackend.all)
    func completingEndsTheRoomOnceAfterTheCommit(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let calls = Self.record(h)
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor)
            #expect(try await h.book(id, learner: learner).status == .created)
            let room = try await Self.room(h, id, mentor.token)
            #expect(try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token).status == .conflict)
            #expect(await calls.values.isEmpty, "a refused transition (scheduled cannot complete) ends nothing")
            #expect(try await h.call(.post, "/api/sessions/\(id)/start", token: mentor.token).status == .ok)
            #expect(await calls.values.isEmpty, "starting does not end the room")
            #expect(try await h.call(.post, "/api/sessions/\(id)/complete", token: learner.token).status == .forbidden)
            #expect(await calls.values.isEmpty, "nor does someone else's attempt")

            #expect(try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token).status == .ok)
            #expect(
                await calls.values == [Call(roomID: room, reason: .completed, sessionStatus: "completed", openBookings: 0)],
                "called once the status and the bookings were committed")
            #expect(try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token).status == .conflict)
            #expect(try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token).status == .conflict)
            #expect(await calls.values.count == 1, "a completed session is ended once")
            // Nobody gets back in: the room of a completed session gives no room token.
            let token = try await h.call(.post, "/api/sessions/\(id)/room-token", token: learner.token)
            #expect(token.status == .conflict)
            #expect(token.error == "room_closed")
        }
    }

    @Test(arguments: TestBackend.all)
    func cancellingEndsTheRoomAsCancelled(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let calls = Self.record(h)
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor)
            #expect(try await h.book(id, learner: learner).status == .created)
            let room = try await Self.room(h, id, mentor.token)
            #expect(try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token).status == .ok)
            #expect(
                await calls.values == [Call(roomID: room, reason: .cancelled, sessionStatus: "cancelled", openBookings: 0)])
            #expect(try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token).status == .conflict)
            #expect(await calls.values.count == 1)
        }
    }

    @Test func withoutAHandlerNothingHappens() async throws {
        try await TestHarness.run(TestBackend.all[0]) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor)
            #expect(try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token).status == .ok)
        }
    }
}
