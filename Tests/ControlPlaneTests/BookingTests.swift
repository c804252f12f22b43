import ControlPlane
import Foundation
import Testing

/// The seed's booking activity: availability → payment → booking → confirmation email → mentor notified,
/// and each NO branch.
@Suite struct BookingTests {
    @Test(arguments: TestBackend.all)
    func bookingChargesRecordsEmailsAndNotifies(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, price: 25.5)
            let result = try await h.book(id, learner: learner, card: "tok_visa")
            #expect(result.status == .created)
            #expect(result["status"] as? String == "confirmed")
            #expect(result["payment_status"] as? String == "paid")
            #expect((result["payment_amount"] as? NSNumber)?.doubleValue == 25.5)
            let paymentID = try #require(result["payment_id"] as? String)
            let charges = await h.payments.capturedCharges
            #expect(charges == [PaymentCharge(id: paymentID, amountCents: 2550)])
            #expect(try await h.session(id)["current_participants"] as? Int == 1)
            #expect(try await h.count("email_outbox", where: "kind = 'booking_confirmation' AND to_address = 'leo@example.com'") == 1)
            let notes = try await h.call(.get, "/api/notifications", token: mentor.token)
            #expect(notes.array.contains { $0["title"] as? String == "New booking" })
            #expect(try await h.call(.get, "/api/sessions/\(id)/metrics")["booking_count"] as? Int == 1)

            let mine = try await h.call(.get, "/api/bookings", token: learner.token)
            #expect(mine.array.count == 1)
            #expect(mine.array.first?["session_id"] as? String == id.lowercased() || mine.array.first?["session_id"] as? String == id.uppercased())
            let roster = try await h.call(.get, "/api/sessions/\(id)/bookings", token: mentor.token)
            #expect(roster.array.count == 1)
            #expect(try await h.call(.get, "/api/sessions/\(id)/bookings", token: learner.token).status == .forbidden)
        }
    }

    @Test(arguments: TestBackend.all)
    func bookingRefusals(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let other = try await h.register("lia")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 1)
            #expect(try await h.book(id, learner: mentor).status == .forbidden, "mentors do not book")
            #expect(try await h.call(.post, "/api/sessions/\(id)/bookings").status == .unauthorized)
            let draft = try await h.createSession(mentor: mentor, schedule: false)
            #expect(try await h.book(draft, learner: learner).status == .notFound)
            #expect(try await h.book(UUID().uuidString, learner: learner).status == .notFound)

            #expect(try await h.book(id, learner: learner).status == .created)
            let again = try await h.book(id, learner: learner)
            #expect(again.status == .conflict)
            #expect(again.error == "already_booked")
            let full = try await h.book(id, learner: other)
            #expect(full.status == .conflict)
            #expect(full.error == "session_full", "the seed's \"Session Full\" branch")

            let started = try await h.createSession(mentor: mentor)
            _ = try await h.call(.post, "/api/sessions/\(started)/start", token: mentor.token)
            let late = try await h.book(started, learner: other)
            #expect(late.status == .conflict)
            #expect(late.error == "session_not_bookable")
        }
    }

    @Test(arguments: TestBackend.all)
    func declinedPaymentIs402AndLeavesNoTrace(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 1, price: 10)
            let declined = try await h.book(id, learner: learner, card: "tok_decline")
            #expect(declined.status.code == 402)
            #expect(declined.error == "payment_failed")
            let byAmount = try await h.createSession(mentor: mentor, price: 6.66)
            #expect(try await h.book(byAmount, learner: learner).status.code == 402, "sandbox rule: amount 666 cents")
            #expect(try await h.count("bookings") == 0)
            #expect(try await h.session(id)["current_participants"] as? Int == 0)
            #expect(await h.payments.allCharges.isEmpty)
            // "Return to form": a retry with a good card succeeds and takes the seat.
            #expect(try await h.book(id, learner: learner, card: "tok_visa").status == .created)
        }
    }

    @Test(arguments: TestBackend.all)
    func cancellingABookingRefundsAndFreesTheSeat(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let other = try await h.register("lia")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 1, price: 15)
            let booking = try await h.book(id, learner: learner)
            let bookingID = try #require((booking["id"] as? NSNumber)?.int64Value)
            #expect(try await h.call(.post, "/api/bookings/\(bookingID)/cancel", token: other.token).status == .forbidden)
            let cancelled = try await h.call(.post, "/api/bookings/\(bookingID)/cancel", token: learner.token)
            #expect(cancelled.status == .ok)
            #expect(cancelled["status"] as? String == "cancelled")
            #expect(cancelled["payment_status"] as? String == "refunded")
            #expect(await h.payments.capturedCharges.isEmpty)
            #expect(try await h.session(id)["current_participants"] as? Int == 0)
            #expect(try await h.call(.post, "/api/bookings/\(bookingID)/cancel", token: learner.token).status == .conflict)
            #expect(try await h.session(id)["current_participants"] as? Int == 0, "a double cancel frees one seat")
            #expect(try await h.book(id, learner: other).status == .created, "the freed seat is bookable")
            #expect(try await h.book(id, learner: learner).status == .conflict)
            #expect(try await h.count("email_outbox", where: "kind = 'booking_cancelled'") == 1)
            #expect(try await h.call(.post, "/api/bookings/999999/cancel", token: learner.token).status == .notFound)
        }
    }

    @Test(arguments: TestBackend.all)
    func cancellingASessionRefundsEveryoneAndNotifies(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learners = [try await h.register("leo"), try await h.register("lia")]
            let id = try await h.createSession(mentor: mentor, price: 20)
            for learner in learners { #expect(try await h.book(id, learner: learner).status == .created) }
            #expect(await h.payments.capturedCharges.count == 2)
            let result = try await h.call(.post, "/api/sessions/\(id)/cancel", token: mentor.token)
            #expect(result["status"] as? String == "cancelled")
            #expect(await h.payments.capturedCharges.isEmpty, "all refunded")
            #expect(try await h.count("bookings", where: "status = 'cancelled' AND payment_status = 'refunded'") == 2)
            #expect(try await h.session(id)["current_participants"] as? Int == 0)
            #expect(try await h.count("email_outbox", where: "kind = 'session_cancelled'") == 2)
            for learner in learners {
                let notes = try await h.call(.get, "/api/notifications", token: learner.token)
                #expect(notes.array.contains { $0["title"] as? String == "Session cancelled" })
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func lastSeatRaceYieldsExactlyOneBooking(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 3, price: 5)
            // Two seats go normally; then N learners race for the last one.
            for name in ["early1", "early2"] {
                #expect(try await h.book(id, learner: try await h.register(name)).status == .created)
            }
            var racers: [Account] = []
            for index in 0..<12 { racers.append(try await h.register("racer\(index)")) }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for racer in racers { group.addTask { try await h.book(id, learner: racer).status.code } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == racers.count - 1)
            let confirmed = try await h.count("bookings", where: "status = 'confirmed'")
            #expect(confirmed == 3)
            #expect(try await h.session(id)["current_participants"] as? Int == confirmed)
            #expect(await h.payments.capturedCharges.count == 3, "losers' charges are refunded")
        }
    }

    /// A flash sale: 30 learners at once for 12 seats, 6 of them clicking twice, beside 8 bookings of another
    /// session. However the requests are grouped (a SQLite group commit, a PostgreSQL batch statement),
    /// every seat goes once, nobody holds two, and every confirmed booking has exactly one payment, email,
    /// notification and count.
    @Test(arguments: TestBackend.all)
    func aFlashSaleFillsEverySeatOnceWithEveryStepAccountedFor(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let popular = try await h.createSession(mentor: mentor, maxParticipants: 12, price: 9)
            let other = try await h.createSession(mentor: mentor, maxParticipants: 10, price: 4)
            var crowd: [Account] = []
            for index in 0..<30 { crowd.append(try await h.register("fan\(index)")) }
            var others: [Account] = []
            for index in 0..<8 { others.append(try await h.register("other\(index)")) }
            let outcomes = try await withThrowingTaskGroup(of: (String, String, Int).self) { group in
                for (index, learner) in crowd.enumerated() {
                    group.addTask { (learner.username, popular, try await h.book(popular, learner: learner).status.code) }
                    if index % 5 == 0 {
                        group.addTask { (learner.username, popular, try await h.book(popular, learner: learner).status.code) }
                    }
                }
                for learner in others {
                    group.addTask { (learner.username, other, try await h.book(other, learner: learner).status.code) }
                }
                return try await group.reduce(into: [(String, String, Int)]()) { $0.append($1) }
            }
            let popularWins = outcomes.filter { $0.1 == popular && $0.2 == 201 }
            #expect(popularWins.count == 12)
            #expect(Set(popularWins.map(\.0)).count == 12, "nobody holds two seats")
            #expect(outcomes.filter { $0.1 == popular }.allSatisfy { [201, 409].contains($0.2) })
            #expect(outcomes.filter { $0.1 == other }.allSatisfy { $0.2 == 201 })
            for (session, seats) in [(popular, 12), (other, 8)] {
                #expect(try await h.session(session)["current_participants"] as? Int == seats)
                #expect(try await h.call(.get, "/api/sessions/\(session)/metrics")["booking_count"] as? Int == seats)
            }
            #expect(try await h.count("bookings", where: "status = 'confirmed' AND payment_status = 'paid'") == 20)
            #expect(try await h.count("bookings") == 20, "a refused request leaves no booking behind")
            #expect(try await h.count("payments", where: "status = 'confirmed'") == 20)
            #expect(try await h.count("email_outbox", where: "kind = 'booking_confirmation'") == 20)
            #expect(try await h.count("notifications", where: "title = 'New booking'") == 20)
            #expect(await h.payments.capturedCharges.count == 20)
        }
    }

    @Test(arguments: TestBackend.all)
    func concurrentCancelAndBookKeepTheCountExact(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 4)
            var holders: [(Account, Int64)] = []
            for index in 0..<4 {
                let learner = try await h.register("holder\(index)")
                let booking = try await h.book(id, learner: learner)
                holders.append((learner, try #require((booking["id"] as? NSNumber)?.int64Value)))
            }
            var newcomers: [Account] = []
            for index in 0..<6 { newcomers.append(try await h.register("new\(index)")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (learner, bookingID) in holders {
                    group.addTask { _ = try await h.call(.post, "/api/bookings/\(bookingID)/cancel", token: learner.token) }
                    group.addTask { _ = try await h.call(.post, "/api/bookings/\(bookingID)/cancel", token: learner.token) }
                }
                for learner in newcomers { group.addTask { _ = try await h.book(id, learner: learner) } }
                try await group.waitForAll()
            }
            let confirmed = try await h.count("bookings", where: "status = 'confirmed'")
            #expect(confirmed <= 4)
            #expect(try await h.session(id)["current_participants"] as? Int == confirmed)
        }
    }
}
