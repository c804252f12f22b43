@testable import ControlPlane
import FluentKit
import FluentSQL
import Foundation
import Testing

/// Issue 10 §6: a crash at any point loses no committed booking, payment or attendance row. The states a
/// `kill -9` leaves behind are built here row by row (exactly what the booking flow's first transaction
/// commits), then start-up recovery runs; `Tests/Browser/test_crash_safety.py` kills the real server.
@Suite struct CrashSafetyTests {
    /// What the booking flow's first transaction commits: the seat, a pending booking, a pending payment.
    static func pendingBooking(_ h: TestHarness, session id: String, learner: Account, key: String) async throws -> (Int64, Int64) {
        let sessionID = UUID(uuidString: id)!
        let priceCents = try #require(try await LearningSession.find(sessionID, on: h.db)?.priceCents)
        try await h.sql.raw(
            "UPDATE sessions SET current_participants = current_participants + 1 WHERE id = \(bind: sessionID)").run()
        let booking = Booking()
        booking.$learner.id = learner.id
        booking.$session.id = sessionID
        booking.status = .pending
        booking.paymentStatus = .pending
        booking.paymentAmountCents = priceCents
        booking.bookingTime = h.clock.now
        booking.isReady = false
        try await booking.create(on: h.db)
        let payment = Payment()
        payment.bookingID = booking.id
        payment.learnerID = learner.id
        payment.sessionID = sessionID
        payment.amountCents = priceCents
        payment.idempotencyKey = key
        payment.status = .pending
        try await payment.create(on: h.db)
        return (booking.id!, payment.id!)
    }

    @Test(arguments: TestBackend.all)
    func aChargeTakenBeforeTheCrashConfirmsTheBookingAtStartUp(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 2, price: 10)
            let (bookingID, paymentID) = try await Self.pendingBooking(h, session: id, learner: learner, key: "k-charged")
            // The processor took the money; the process died before the confirming transaction.
            let charge = try await h.payments.charge(amountCents: 1_000, cardToken: "tok_visa", idempotencyKey: "k-charged")

            let outcome = try await PaymentRecovery(services: h.services).reconcile()
            #expect(outcome == .init(confirmed: 1, failed: 0, unresolved: 0))
            let booking = try #require(try await Booking.find(bookingID, on: h.db))
            #expect(booking.status == .confirmed && booking.paymentStatus == .paid)
            #expect(booking.paymentID == charge.id)
            let payment = try #require(try await Payment.find(paymentID, on: h.db))
            #expect(payment.status == .confirmed && payment.chargeID == charge.id)
            #expect(try await h.session(id)["current_participants"] as? Int == 1)
            #expect(try await h.count("email_outbox", where: "kind = 'booking_confirmation'") == 1)
            #expect(await h.payments.capturedCharges == [charge], "charged once, kept")
            // A second start-up finds nothing to do.
            #expect(try await PaymentRecovery(services: h.services).reconcile() == .init())
        }
    }

    @Test(arguments: TestBackend.all)
    func aChargeNeverMadeReleasesTheSeatAtStartUp(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let other = try await h.register("lia")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 1, price: 10)
            let (bookingID, paymentID) = try await Self.pendingBooking(h, session: id, learner: learner, key: "k-lost")
            #expect(try await h.book(id, learner: other).error == "session_full", "the pending booking holds the seat")

            let outcome = try await PaymentRecovery(services: h.services).reconcile()
            #expect(outcome == .init(confirmed: 0, failed: 1, unresolved: 0))
            #expect(try await Booking.find(bookingID, on: h.db) == nil)
            let payment = try #require(try await Payment.find(paymentID, on: h.db))
            #expect(payment.status == .failed && payment.bookingID == nil)
            #expect(try await h.session(id)["current_participants"] as? Int == 0)
            #expect(await h.payments.allCharges.isEmpty)
            #expect(try await h.book(id, learner: other).status == .created, "the released seat is bookable")
        }
    }

    /// The processor answered only after a recovery pass had given up on the payment: the late charge is
    /// given back, not kept without a booking.
    @Test(arguments: TestBackend.all)
    func aChargeLandingAfterRecoveryFailedThePaymentIsRefunded(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 2, price: 10)
            let (_, paymentID) = try await Self.pendingBooking(h, session: id, learner: learner, key: "k-late")
            #expect(try await PaymentRecovery(services: h.services).reconcile() == .init(failed: 1))
            let charge = try await h.payments.charge(amountCents: 1_000, cardToken: "tok_visa", idempotencyKey: "k-late")
            let payment = try #require(try await Payment.find(paymentID, on: h.db))
            #expect(try await BookingService(services: h.services).confirm(payment, charge: charge) == nil)
            #expect(try await h.count("bookings") == 0)
            #expect(try await h.count("refund_outbox", where: "status = 'done'") == 1)
            #expect(try await Payment.find(paymentID, on: h.db)?.status == .refunded)
            #expect(await h.payments.capturedCharges.isEmpty)
            #expect(try await h.session(id)["current_participants"] as? Int == 0)
        }
    }

    @Test(arguments: TestBackend.all)
    func everyBookingHasAPaymentRowAndTheCountsAgree(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor, maxParticipants: 5, price: 12)
            var learners: [Account] = []
            for index in 0..<9 { learners.append(try await h.register("learner\(index)")) }
            let codes = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, learner) in learners.enumerated() {
                    group.addTask { try await h.book(id, learner: learner, card: index % 4 == 0 ? "tok_decline" : "tok_visa").status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // A declined card holds its seat only while the processor answers, so a racer may briefly see
            // the session full; whatever the interleaving, every count agrees with the rows.
            let confirmed = try await h.count("bookings", where: "status = 'confirmed'")
            #expect(codes.filter { $0 == 201 }.count == confirmed && (1...5).contains(confirmed))
            #expect(codes.allSatisfy { [201, 402, 409].contains($0) })
            #expect(try await h.count("payments", where: "status = 'failed'") == codes.filter { $0 == 402 }.count)
            #expect(try await h.session(id)["current_participants"] as? Int == confirmed)
            #expect(try await h.count("payments", where: "status = 'confirmed'") == confirmed)
            #expect(try await h.count("payments", where: "status = 'pending'") == 0)
            #expect(try await h.count("bookings", where: "id NOT IN (SELECT booking_id FROM payments WHERE booking_id IS NOT NULL)") == 0)
            #expect(await h.payments.capturedCharges.count == confirmed)
        }
    }

    @Test(arguments: TestBackend.all)
    func aRefundIsRetriedWithBackoffAndMarkedDoneOnlyWhenConfirmed(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, price: 15)
            let booking = try await h.book(id, learner: learner)
            let bookingID = try #require((booking["id"] as? NSNumber)?.int64Value)
            await h.payments.failNextRefunds(3)
            let cancelled = try await h.call(.post, "/api/bookings/\(bookingID)/cancel", token: learner.token)
            #expect(cancelled.status == .ok)
            let dispatcher = RefundDispatcher(services: h.services)
            func entry() async throws -> RefundOutboxEntry { try #require(try await RefundOutboxEntry.query(on: h.db).first()) }
            let first = try await entry()
            #expect(first.status == .pending && first.attempts == 1, "tried at once, failed, still owed")
            #expect(first.lastError != nil)
            #expect(await h.payments.capturedCharges.count == 1, "the money is not back yet")
            #expect(try await h.count("payments", where: "status = 'refunding'") == 1)

            #expect(try await dispatcher.dispatchDue() == 0)
            #expect(try await entry().attempts == 1, "not due before its backoff")
            for (wait, attempts) in [(1.01, 2), (2.01, 3)] {
                h.clock.advance(by: wait)
                #expect(try await dispatcher.dispatchDue() == 0)
                let current = try await entry()
                #expect(current.attempts == attempts && current.status == .pending)
            }
            h.clock.advance(by: 3)
            #expect(try await dispatcher.dispatchDue() == 0, "the third backoff is 4 s")
            h.clock.advance(by: 1.01)
            #expect(try await dispatcher.dispatchDue() == 1)
            let last = try await entry()
            #expect(last.status == .done && last.doneAt != nil)
            #expect(await h.payments.capturedCharges.isEmpty)
            #expect(try await h.count("payments", where: "status = 'refunded'") == 1)
            h.clock.advance(by: 3_600)
            #expect(try await dispatcher.dispatchDue() == 0, "done is done")
        }
    }

    @Test func theSandboxProcessorRemembersAcrossARestart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let rules = PaymentSandboxRules()
        let before = SandboxPaymentProvider(rules: rules, journalPath: path)
        let charge = try await before.charge(amountCents: 500, cardToken: "tok_visa", idempotencyKey: "a")
        let second = try await before.charge(amountCents: 700, cardToken: "tok_visa", idempotencyKey: "b")
        await #expect(throws: PaymentError.declined("card declined")) {
            try await before.charge(amountCents: 500, cardToken: "tok_decline", idempotencyKey: "c")
        }
        try await before.refund(chargeID: second.id, idempotencyKey: "r1")

        let after = SandboxPaymentProvider(rules: rules, journalPath: path)
        #expect(try await after.lookup(idempotencyKey: "a") == .charged(charge))
        #expect(try await after.lookup(idempotencyKey: "c") == .declined("card declined"))
        #expect(try await after.lookup(idempotencyKey: "never") == .notFound)
        #expect(try await after.charge(amountCents: 500, cardToken: "tok_visa", idempotencyKey: "a") == charge, "idempotent across restarts")
        #expect(await after.capturedCharges == [charge], "the refund survived too")
    }

    @Test(arguments: TestBackend.all)
    func aJoinWithNoSnapshotYetIsClosedAtItsJoinTimeAfterACrash(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("lena")
            let id = try await h.createSession(mentor: mentor, startsIn: 60, duration: 60)
            _ = try await h.book(id, learner: learner)
            let room = try #require(try await LearningSession.find(UUID(uuidString: id), on: h.db)?.meetingRoomID)
            let ledger = AttendanceLedger(services: h.services)
            _ = try #require(try await ledger.joined(roomID: room, userID: String(learner.id)))
            _ = try #require(try await ledger.joined(roomID: room, userID: String(mentor.id)))
            // The process dies within the connections' first seconds: no snapshot was ever written.
            #expect(try await ParticipantStatistics.query(on: h.db).filter(\.$leftAt == nil).count() == 2,
                    "the join itself left an open row")
            h.clock.advance(by: 30)
            try await ledger.closeDangling()
            let booking = try #require(try await Booking.query(on: h.db).filter(\.$learner.$id == learner.id).first())
            let joined = try #require(booking.joinedAt)
            #expect(booking.leftAt.map { abs($0.timeIntervalSince(joined)) < 0.01 } == true, "closed at its join time")
            #expect(try await ParticipantStatistics.query(on: h.db).filter(\.$leftAt == nil).count() == 0)
            #expect(try await h.count("bookings", where: "joined_at IS NOT NULL AND left_at IS NULL") == 0)
            #expect(try await SessionStatistics.query(on: h.db).first()?.participantCount == 2)
        }
    }

    @Test func sqliteCommitsAreDurable() async throws {
        try await TestHarness.run(TestBackend(name: "sqlite", postgresURL: nil)) { h in
            let mode = try await h.sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            #expect(mode?.lowercased() == "wal")
            let synchronous = try await h.sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
            #expect(synchronous == 2, "FULL: the WAL is fsynced at every commit")
        }
    }
}
