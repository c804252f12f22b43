@testable import ControlPlane
import FluentKit
import Foundation
import JWTKit
import RoomToken
import Testing

/// Room tokens: who gets one, when, with which role — and that the relay can verify them offline.
@Suite struct RoomTokenTests {
    func token(_ h: TestHarness, _ session: String, _ who: Account) async throws -> APIResult {
        try await h.call(.post, "/api/sessions/\(session)/room-token", token: who.token)
    }

    @Test(arguments: TestBackend.all)
    func mentorIsHostAndPaidLearnerIsParticipant(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let stranger = try await h.register("sam")
            let id = try await h.createSession(mentor: mentor, startsIn: 600, price: 10)
            _ = try await h.book(id, learner: learner)
            let verifier = try await RoomTokenVerifier(secret: h.services.roomTokenSecret)

            let host = try await token(h, id, mentor)
            #expect(host.status == .ok)
            #expect(host["role"] as? String == "host")
            let room = try #require(host["meeting_room_id"] as? String)
            let hostClaims = try await verifier.verify(try #require(host["token"] as? String), forRoom: room)
            #expect(hostClaims.role == .host)
            #expect(hostClaims.userID == mentor.id)
            #expect(hostClaims.sessionID == id.lowercased())
            #expect(hostClaims.expiration.value.timeIntervalSince(h.clock.now) <= 300 + 1)

            let participant = try await token(h, id, learner)
            #expect(participant["role"] as? String == "participant")
            let claims = try await verifier.verify(try #require(participant["token"] as? String))
            #expect(claims.role == .participant)
            #expect(claims.userID == learner.id)
            #expect(claims.roomID == room)

            let denied = try await token(h, id, stranger)
            #expect(denied.status == .forbidden, "no booking, no room (the seed's \"access denied\")")
            #expect(try await h.call(.post, "/api/sessions/\(id)/room-token").status == .unauthorized)
        }
    }

    @Test(arguments: TestBackend.all)
    func tokensOnlyInsideTheJoinWindowAndWhileOpen(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.joinWindowSeconds = 900; $0.lateGraceSeconds = 300 }) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, startsIn: 3600, duration: 30)
            _ = try await h.book(id, learner: learner)
            #expect(try await token(h, id, mentor).status == .forbidden, "an hour early: window closed")
            h.clock.advance(by: 3600 - 900 + 1)
            #expect(try await token(h, id, mentor).status == .ok, "inside the 15-minute window")
            h.clock.advance(by: 899 + 30 * 60 + 1)
            #expect(try await token(h, id, learner).status == .forbidden, "after the scheduled end")
            _ = try await h.call(.post, "/api/sessions/\(id)/start", token: mentor.token)
            #expect(try await token(h, id, learner).status == .ok, "an active session may overrun")
            _ = try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token)
            let closed = try await token(h, id, mentor)
            #expect(closed.status == .conflict)
            #expect(closed.error == "room_closed")
        }
    }

    @Test(arguments: TestBackend.all)
    func joiningRecordsAttendance(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.lateGraceSeconds = 300 }) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let onTime = try await h.register("ontime")
            let late = try await h.register("late")
            let absent = try await h.register("absent")
            let cancelled = try await h.register("gone")
            let id = try await h.createSession(mentor: mentor, startsIn: 60, duration: 60)
            for learner in [onTime, late, absent, cancelled] { _ = try await h.book(id, learner: learner) }
            let gone = try await h.call(.get, "/api/bookings", token: cancelled.token).array.first?["id"] as? NSNumber
            _ = try await h.call(.post, "/api/bookings/\(gone!.int64Value)/cancel", token: cancelled.token)
            #expect(try await token(h, id, cancelled).status == .forbidden, "a cancelled booking grants nothing")

            // Attendance is recorded when the relay sees a learner connect, not when they ask for a token.
            let ledger = AttendanceLedger(services: h.services)
            let room = try #require(try await LearningSession.find(UUID(uuidString: id), on: h.db)?.meetingRoomID)
            #expect(try await token(h, id, onTime).status == .ok)
            #expect(try await token(h, id, absent).status == .ok, "a token alone is not attendance")
            let onTimeConnection = try #require(try await ledger.joined(roomID: room, userID: String(onTime.id)))
            h.clock.advance(by: 60 + 301)
            #expect(try await token(h, id, late).status == .ok)
            _ = try await ledger.joined(roomID: room, userID: String(late.id))
            #expect(try await ledger.joined(roomID: "no-such-room", userID: String(late.id)) == nil)
            try await ledger.record(
                onTimeConnection,
                ParticipantStatisticsReport(
                    userID: 0, bytesIn: 1_000, bytesOut: 2_000, packetsIn: 10, packetsOut: 20, packetsLost: 1,
                    lossFraction: 0.09, jitterMs: 3, secondsInRoom: 42, audioOnly: false),
                left: true)
            let bookings = try await h.call(.get, "/api/sessions/\(id)/bookings", token: mentor.token).array
            func attendance(_ who: Account) -> String? {
                bookings.first { ($0["learner_id"] as? NSNumber)?.int64Value == who.id }?["attendance_status"] as? String
            }
            #expect(attendance(onTime) == "present")
            #expect(attendance(late) == "late")
            #expect(attendance(absent) == nil)
            let onTimeRow = bookings.first { ($0["learner_id"] as? NSNumber)?.int64Value == onTime.id }
            #expect(onTimeRow?["left_at"] is String, "leaving records left_at")

            _ = try await h.call(.post, "/api/sessions/\(id)/start", token: mentor.token)
            _ = try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token)
            let after = try await h.call(.get, "/api/sessions/\(id)/bookings", token: mentor.token).array
            let absentRow = after.first { ($0["learner_id"] as? NSNumber)?.int64Value == absent.id }
            #expect(absentRow?["attendance_status"] as? String == "absent")
            #expect(absentRow?["status"] as? String == "completed")
            let metrics = try await h.call(.get, "/api/sessions/\(id)/metrics")
            let rate = try #require((metrics["completion_rate"] as? NSNumber)?.doubleValue)
            #expect(abs(rate - 2.0 / 3.0) < 1e-9, "2 of 3 booked learners attended")
        }
    }

    @Test func verifierRejectsForgedExpiredForeignAndWrongRoomTokens() async throws {
        let secret = Array("0123456789abcdef0123456789abcdef".utf8)
        let signer = try await RoomTokenSigner(secret: secret)
        let verifier = try await RoomTokenVerifier(secret: secret)
        let now = Date()
        let claims = RoomClaims(userID: 7, sessionID: "s", roomID: "room-1", role: .participant,
                                issuedAt: now, expiresAt: now.addingTimeInterval(60), tokenID: "t1")
        let token = try await signer.sign(claims)
        #expect(try await verifier.verify(token) == claims)
        await #expect(throws: RoomTokenError.wrongRoom) { try await verifier.verify(token, forRoom: "room-2") }

        let other = try await RoomTokenVerifier(secret: Array("ffffffffffffffffffffffffffffffff".utf8))
        await #expect(throws: RoomTokenError.self) { try await other.verify(token) }
        var tampered = Array(token.utf8)
        tampered[tampered.count / 2] ^= 0x01
        await #expect(throws: RoomTokenError.self) { try await verifier.verify(String(decoding: tampered, as: UTF8.self)) }
        await #expect(throws: RoomTokenError.self) { try await verifier.verify("not.a.jwt") }

        let expired = RoomClaims(userID: 7, sessionID: "s", roomID: "room-1", role: .host,
                                 issuedAt: now.addingTimeInterval(-120), expiresAt: now.addingTimeInterval(-60), tokenID: "t2")
        await #expect(throws: RoomTokenError.self) { try await verifier.verify(try await signer.sign(expired)) }

        var foreign = claims
        foreign.audience = AudienceClaim(value: ["peerlearn-api"])
        await #expect(throws: RoomTokenError.self) { try await verifier.verify(try await signer.sign(foreign)) }

        await #expect(throws: RoomTokenError.keyTooShort) { try await RoomTokenVerifier(secret: Array("short".utf8)) }
    }

    @Test(arguments: TestBackend.all)
    func apiAccessTokenIsNotARoomToken(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let verifier = try await RoomTokenVerifier(secret: h.services.roomTokenSecret)
            await #expect(throws: RoomTokenError.self) { try await verifier.verify(mentor.token) }
        }
    }

    @Test(arguments: TestBackend.all)
    func aCrashLosesNoAttendance(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("lena")
            let id = try await h.createSession(mentor: mentor, startsIn: 60, duration: 60)
            _ = try await h.book(id, learner: learner)
            let room = try #require(try await LearningSession.find(UUID(uuidString: id), on: h.db)?.meetingRoomID)
            let ledger = AttendanceLedger(services: h.services)
            let connection = try #require(try await ledger.joined(roomID: room, userID: String(learner.id)))
            // Two periodic snapshots of one connection rewrite one row; then the process dies.
            for seconds in [5.0, 10.0] {
                try await ledger.record(
                    connection,
                    ParticipantStatisticsReport(
                        userID: learner.id, bytesIn: 100, bytesOut: 200, packetsIn: 1, packetsOut: 2, packetsLost: 0,
                        lossFraction: 0, jitterMs: 1, secondsInRoom: seconds, audioOnly: true),
                    left: false)
            }
            #expect(try await ParticipantStatistics.query(on: h.db).count() == 1)
            try await ledger.closeDangling()
            let booking = try #require(try await Booking.query(on: h.db).filter(\.$learner.$id == learner.id).first())
            let joined = try #require(booking.joinedAt)
            let left = try #require(booking.leftAt)
            #expect(abs(left.timeIntervalSince(joined) - 10) < 1, "closed where the last snapshot ended")
            let row = try #require(try await ParticipantStatistics.query(on: h.db).first())
            #expect(row.leftAt != nil && row.audioOnly)
            #expect(try await SessionStatistics.query(on: h.db).first()?.participantCount == 1, "recovery updates the totals")
        }
    }
}
