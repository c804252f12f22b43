@testable import ControlPlane
import Foundation
import Testing

/// The PostgreSQL batch statements with one hand-made batch each, so every branch is certain to share a
/// statement (through HTTP, how requests group depends on timing).
@Suite struct PostgresBookingBatchTests {
    static let postgres = TestBackend.all.first { $0.postgresURL != nil }

    @Test(.enabled(if: postgres != nil, "needs PEERLEARN_TEST_POSTGRES_URL (scripts/test sets it)"))
    func oneBatchAnswersEveryRequestOnItsOwnMerits() async throws {
        try await TestHarness.run(try #require(Self.postgres)) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let twoSeats = try #require(UUID(uuidString: try await h.createSession(mentor: mentor, maxParticipants: 2, price: 7)))
            let roomy = try #require(UUID(uuidString: try await h.createSession(mentor: mentor, maxParticipants: 9, price: 3)))
            let free = try #require(UUID(uuidString: try await h.createSession(mentor: mentor, maxParticipants: 9, price: 0)))
            var accounts: [Account] = []
            for name in ["ana", "ben", "cyd", "dee", "eve"] { accounts.append(try await h.register(name)) }
            let learners = accounts.map(\.id)
            // eve already holds a seat in `roomy`.
            #expect(try await h.book(roomy.uuidString, learner: accounts[4]).status == .created)

            let request = { (session: UUID, learner: Int64) in
                PostgresBookingBatches.Reserve(sessionID: session, learnerID: learner, key: "k-\(UUID())")
            }
            let batch = [
                request(twoSeats, learners[0]),  // 1: seat
                request(twoSeats, learners[0]),  // 2: the same learner again: nothing
                request(twoSeats, learners[1]),  // 3: seat (the last)
                request(twoSeats, learners[2]),  // 4: full: nothing
                request(roomy, learners[3]),     // 5: seat in another session
                request(roomy, learners[4]),     // 6: already booked: nothing
                request(free, learners[0]),      // 7: free: left to the general path
            ]
            let reserved = try await PostgresBookingBatches.reserve(batch, now: Date(), on: h.db)
            #expect(reserved.map { $0 != nil } == [true, false, true, false, true, false, false])
            #expect(try await h.session(twoSeats.uuidString)["current_participants"] as? Int == 2)
            #expect(try await h.session(roomy.uuidString)["current_participants"] as? Int == 2)
            #expect(try await h.count("bookings", where: "status = 'pending'") == 3)
            #expect(try await h.count("payments", where: "status = 'pending'") == 3)
            #expect(reserved.compactMap { $0?.paymentID }.count == 3)

            // Confirm the three; cancel `roomy` first, so its booking must be left to the general path.
            _ = try await h.sql.raw("UPDATE sessions SET status = 'cancelled' WHERE id = \(bind: roomy)").run()
            let confirms = reserved.compactMap { $0 }.enumerated().map { index, row in
                PostgresBookingBatches.Confirm(
                    bookingID: row.bookingID, paymentID: row.paymentID ?? 0,
                    charge: PaymentCharge(id: "ch_batch_\(index)", amountCents: row.priceCents),
                    subject: "s\(index)", body: "b\(index)", booked: " booked.", link: "/l\(index)")
            }
            let confirmed = try await PostgresBookingBatches.confirm(confirms, now: Date(), on: h.db)
            #expect(confirmed.map { $0 != nil } == [true, true, false])
            #expect(try await h.count("bookings", where: "status = 'confirmed' AND payment_status = 'paid'") == 3, "eve's and the two new")
            #expect(try await h.count("payments", where: "status = 'confirmed' AND charge_id LIKE 'ch_batch_%'") == 2)
            #expect(try await h.count("payments", where: "status = 'pending'") == 1, "the cancelled session's payment is untouched")
            #expect(try await h.call(.get, "/api/sessions/\(twoSeats)/metrics")["booking_count"] as? Int == 2)
            #expect(try await h.count("email_outbox", where: "subject IN ('s0', 's1', 's2')") == 2)
            #expect(try await h.count("notifications", where: "title = 'New booking' AND user_id = \(mentor.id)") == 3)
        }
    }
}
