import ControlPlane
import Foundation
import Testing

/// `Idempotency-Key` makes a retried or double-submitted booking safe: one charge, one booking.
@Suite struct IdempotencyTests {
    @Test(arguments: TestBackend.all)
    func retryReplaysTheFirstResponse(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, price: 30)
            let first = try await h.book(id, learner: learner, key: "key-1")
            let second = try await h.book(id, learner: learner, key: "key-1")
            #expect(first.status == .created)
            #expect(second.status == .created)
            #expect(second.raw == first.raw)
            #expect(second.headers[.init("Idempotent-Replayed")!] == "true")
            #expect(first.headers[.init("Idempotent-Replayed")!] == nil)
            #expect(await h.payments.allCharges.count == 1)
            #expect(try await h.count("bookings") == 1)
            // Without the key, a second attempt is a new request (and a duplicate booking is refused).
            #expect(try await h.book(id, learner: learner).error == "already_booked")
        }
    }

    @Test(arguments: TestBackend.all)
    func errorsAreReplayedAndKeysAreScoped(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let other = try await h.register("lia")
            let id = try await h.createSession(mentor: mentor, price: 30)
            let declined = try await h.book(id, learner: learner, card: "tok_decline", key: "k")
            #expect(declined.status.code == 402)
            let replay = try await h.book(id, learner: learner, card: "tok_visa", key: "k")
            #expect(replay.status.code == 402, "the stored answer for the key is replayed")
            #expect(try await h.book(id, learner: learner, card: "tok_visa", key: "k2").status == .created)

            let otherSession = try await h.createSession(mentor: mentor)
            let misuse = try await h.book(otherSession, learner: learner, key: "k2")
            #expect(misuse.status == .unprocessableContent, "same key, different request")
            #expect(try await h.book(id, learner: other, key: "k").status == .created, "keys are per user")
            #expect(try await h.book(id, learner: other, key: String(repeating: "x", count: 300)).status == .badRequest)
        }
    }

    @Test(arguments: TestBackend.all)
    func doubleSubmittedPaymentChargesOnce(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, price: 49.99)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await h.book(id, learner: learner, key: "double-click").status.code } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.contains(201))
            #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 }, "\(statuses)")
            #expect(await h.payments.allCharges.count == 1, "one charge")
            #expect(try await h.count("bookings") == 1, "one booking")
            #expect(try await h.session(id)["current_participants"] as? Int == 1)
            // Once settled, every retry replays the success.
            #expect(try await h.book(id, learner: learner, key: "double-click").status == .created)
        }
    }
}

@Suite struct IdempotencyClaimTests {
    @Test(arguments: TestBackend.all)
    func inFlightClaimsConflictAndAbandonedOnesAreReleased(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor)
            let fingerprint = "POST /api/sessions/\(UUID(uuidString: id)!)/bookings"
            func claim(_ key: String, age: TimeInterval) async throws {
                try await h.sql.raw("""
                    INSERT INTO idempotency_keys (user_id, key, request_fingerprint, created_at) \
                    VALUES (\(bind: learner.id), \(bind: key), \(bind: fingerprint), \(bind: Date().addingTimeInterval(-age)))
                    """).run()
            }
            try await claim("fresh", age: 1)
            let busy = try await h.book(id, learner: learner, key: "fresh")
            #expect(busy.status == .conflict)
            #expect(busy.error == "request_in_progress")
            try await claim("crashed", age: 600)
            #expect(try await h.book(id, learner: learner, key: "crashed").status == .created)
            #expect(try await h.count("bookings") == 1)
        }
    }
}
