@testable import ControlPlane
import Foundation
import Testing

/// Staff tools: only staff (read from the row), a reason for every change, an audit line in the same
/// transaction; deactivation stops a user's tokens at once; cancellation refunds; hidden rows leave lists.
@Suite struct StaffTests {
    static func makeStaff(_ h: TestHarness, _ username: String) async throws -> Account {
        let account = try await h.register(username, role: "mentor")
        _ = try await SuperuserAccounts(services: h.services).create(username: username, email: nil, password: nil)
        return account
    }

    @Test(arguments: TestBackend.all)
    func onlyStaffMayUseTheToolsAndDeactivationStopsTokensAtOnce(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let staff = try await Self.makeStaff(h, "stella")
            let learner = try await h.register("leo")
            #expect(try await h.call(.get, "/api/staff/payments").status == .unauthorized)
            let refused = try await h.call(.get, "/api/staff/payments", token: learner.token)
            #expect(refused.status == .forbidden && refused.object["reason"] != nil)
            #expect(try await h.call(.get, "/api/me", token: staff.token)["is_staff"] as? Bool == true)
            #expect(try await h.call(.get, "/api/me", token: learner.token)["is_staff"] as? Bool == false)

            let found = try await h.call(.get, "/api/staff/users?q=LEO", token: staff.token).array
            #expect(found.count == 1 && found.first?["is_active"] as? Bool == true)
            let noReason = try await h.call(.post, "/api/staff/users/\(learner.id)/deactivate", token: staff.token, body: [:])
            #expect(noReason.status == .unprocessableContent)
            let deactivated = try await h.call(.post, "/api/staff/users/\(learner.id)/deactivate", token: staff.token,
                                               body: ["reason": "spam reports"])
            #expect(deactivated.status == .ok && deactivated["is_active"] as? Bool == false)
            #expect(try await h.call(.get, "/api/me", token: learner.token).status == .unauthorized, "the token stops at once")
            let login = try await h.call(.post, "/api/auth/login", body: ["username": "leo", "password": "Passw0rd!x"])
            #expect(login.status == .forbidden)
            let own = try await h.call(.post, "/api/staff/users/\(staff.id)/deactivate", token: staff.token, body: ["reason": "x"])
            #expect(own.status == .unprocessableContent)
            #expect(try await h.call(.post, "/api/staff/users/\(learner.id)/reactivate", token: staff.token,
                                     body: ["reason": "appeal accepted"]).status == .ok)
            #expect(try await h.call(.get, "/api/me", token: learner.token).status == .ok)

            let audit = try await h.call(.get, "/api/staff/audit", token: staff.token).array
            #expect(audit.map { $0["action"] as? String } == ["reactivate_user", "deactivate_user"])
            #expect(audit.last?["reason"] as? String == "spam reports")
            #expect((audit.last?["staff_id"] as? NSNumber)?.int64Value == staff.id)
            #expect(audit.last?["target_id"] as? String == String(learner.id))
            #expect(try await h.call(.get, "/api/staff/audit?page=0", token: staff.token).status == .badRequest)
        }
    }

    @Test(arguments: TestBackend.all)
    func staffCancelWithRefundsHideAndReadPayments(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let staff = try await Self.makeStaff(h, "stella")
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor, startsIn: 3600, price: 25)
            #expect(try await h.book(id, learner: learner, card: "tok_visa").status == .created)

            // Hidden from the public list, then shown again; both logged.
            #expect(try await h.call(.post, "/api/staff/sessions/\(id)/hidden", token: staff.token,
                                     body: ["hidden": true, "reason": "misleading title"]).status == .noContent)
            #expect(!(try await h.call(.get, "/api/sessions").raw.contains(id)))
            #expect(try await h.call(.post, "/api/staff/sessions/\(id)/hidden", token: staff.token,
                                     body: ["hidden": false, "reason": "title fixed"]).status == .noContent)
            #expect(try await h.call(.get, "/api/sessions").raw.contains(id))

            let payments = try await h.call(.get, "/api/staff/payments", token: staff.token).array
            #expect(payments.count == 1 && (payments.first?["amount"] as? NSNumber)?.doubleValue == 25)
            let bookings = try await h.call(.get, "/api/staff/users/\(learner.id)/bookings", token: staff.token).array
            #expect(bookings.count == 1 && bookings.first?["status"] as? String == "confirmed")

            let cancelled = try await h.call(.post, "/api/staff/sessions/\(id)/cancel", token: staff.token,
                                             body: ["reason": "mentor unreachable"])
            #expect(cancelled.status == .ok && cancelled["status"] as? String == "cancelled")
            #expect(try await h.count("bookings", where: "payment_status = 'refunded'") == 1)
            let refunds = try await h.call(.get, "/api/staff/refunds", token: staff.token).array
            #expect(refunds.count == 1 && (refunds.first?["amount"] as? NSNumber)?.doubleValue == 25)
            let told = try await h.call(.get, "/api/notifications", token: learner.token).array
            #expect(told.contains { ($0["message"] as? String)?.contains("by PeerLearn staff: mentor unreachable") == true })
            let again = try await h.call(.post, "/api/staff/sessions/\(id)/cancel", token: staff.token, body: ["reason": "twice"])
            #expect(again.status == .conflict)
            let actions = try await h.call(.get, "/api/staff/audit", token: staff.token).array.compactMap { $0["action"] as? String }
            #expect(actions == ["cancel_session", "show_session", "hide_session"])
        }
    }

    @Test(arguments: TestBackend.all)
    func hiddenFeedbackLeavesThePublicList(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let staff = try await Self.makeStaff(h, "stella")
            let mentor = try await h.register("mira", role: "mentor")
            let id = try await h.createSession(mentor: mentor, startsIn: 60)
            _ = try await h.call(.post, "/api/sessions/\(id)/start", token: mentor.token)
            _ = try await h.call(.post, "/api/sessions/\(id)/complete", token: mentor.token)
            let given = try await h.call(.post, "/api/sessions/\(id)/feedback", token: mentor.token, body: ["rating": 2, "comment": "rude words"])
            let feedbackID = try #require((given["id"] as? NSNumber)?.int64Value)
            #expect(try await h.call(.get, "/api/sessions/\(id)/feedback").array.count == 1)
            #expect(try await h.call(.post, "/api/staff/feedback/\(feedbackID)/hidden", token: staff.token,
                                     body: ["hidden": true, "reason": "abusive"]).status == .noContent)
            #expect(try await h.call(.get, "/api/sessions/\(id)/feedback").array.isEmpty)
            #expect(try await h.call(.post, "/api/staff/feedback/999999/hidden", token: staff.token,
                                     body: ["hidden": true, "reason": "x"]).status == .notFound)
        }
    }

    @Test(arguments: TestBackend.all)
    func createSuperuserMakesAStaffAccountWithTheRegistrationRules(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let accounts = SuperuserAccounts(services: h.services)
            await #expect(throws: ConfigurationError.self) {
                try await accounts.create(username: "root1", email: "root@example.com", password: "short")
            }
            await #expect(throws: ConfigurationError.self) {
                try await accounts.create(username: "root1", email: nil, password: "Sup3r-secret-pass")
            }
            let made = try await accounts.create(username: "root1", email: "root@example.com", password: "Sup3r-secret-pass")
            #expect(made.hasPrefix("created superuser root1"))
            let login = try await h.call(.post, "/api/auth/login", body: ["username": "root1", "password": "Sup3r-secret-pass"])
            #expect(login.status == .ok)
            let token = try #require(login["access_token"] as? String)
            #expect(try await h.call(.get, "/api/staff/audit", token: token).status == .ok)
        }
    }
}
