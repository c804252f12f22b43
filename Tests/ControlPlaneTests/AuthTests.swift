import ControlPlane
import Foundation
import Testing

/// The seed's registration activity, including its "NO → display error messages" branch, and login.
@Suite struct AuthTests {
    @Test(arguments: TestBackend.all)
    func registerCreatesAccountTokenAndWelcomeEmail(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let result = try await h.call(.post, "/api/auth/register", body: [
                "username": "ada", "email": "Ada@Example.com", "password": "Analytical1", "role": "mentor",
                "first_name": "Ada", "last_name": "Lovelace", "bio": "Engines", "skills": ["swift", " swift ", "math"],
                "interests": ["music"], "hourly_rate": 42.5,
            ])
            #expect(result.status == .created)
            let user = try #require(result["user"] as? [String: Any])
            #expect(user["username"] as? String == "ada")
            #expect(user["email"] as? String == "ada@example.com")
            #expect(user["skills"] as? [String] == ["swift", "math"])
            #expect((user["hourly_rate"] as? NSNumber)?.doubleValue == 42.5)
            #expect(user["password"] == nil)
            #expect(!result.raw.contains("$2b$"), "no bcrypt hash may leave the server")
            #expect(result["token_type"] as? String == "Bearer")
            let token = try #require(result["access_token"] as? String)

            let me = try await h.call(.get, "/api/me", token: token)
            #expect(me.status == .ok)
            #expect(me["role"] as? String == "mentor")

            let stored = try await h.sql.raw("SELECT password FROM users WHERE username = 'ada'").first()
            let hash = try #require(try stored?.decode(column: "password", as: String.self))
            #expect(hash.hasPrefix("$2"), "stored as bcrypt")
            #expect(try await h.count("email_outbox", where: "kind = 'welcome' AND to_address = 'ada@example.com'") == 1)
        }
    }

    @Test(arguments: TestBackend.all)
    func registerRejectsInvalidInputWith422(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let cases: [([String: Any], String)] = [
                (["username": "bo", "email": "bob@example.com", "password": "Passw0rdxx", "role": "learner"], "username"),
                (["username": "bob", "email": "not-an-email", "password": "Passw0rdxx", "role": "learner"], "email"),
                (["username": "bob", "email": "bob@example", "password": "Passw0rdxx", "role": "learner"], "email"),
                (["username": "bob", "email": "bob@example.com", "password": "short1", "role": "learner"], "8 characters"),
                (["username": "bob", "email": "bob@example.com", "password": "onlyletters", "role": "learner"], "digit"),
                (["username": "bob", "email": "bob@example.com", "password": "1234567890", "role": "learner"], "letter"),
                (["username": "bobby", "email": "x@example.com", "password": "bobby12345", "role": "learner"], "username"),
                (["username": "bob", "email": "bob@example.com", "password": "Passw0rdxx", "role": "admin"], "role"),
                (["username": "bob", "email": "bob@example.com", "password": "Passw0rdxx", "role": "mentor", "hourly_rate": -1], "hourly_rate"),
                (["username": "bob", "email": "bob@example.com", "password": "Passw0rdxx", "role": "mentor", "hourly_rate": 1.005], "hourly_rate"),
            ]
            for (body, mention) in cases {
                let result = try await h.call(.post, "/api/auth/register", body: body)
                #expect(result.status == .unprocessableContent, "\(body)")
                #expect(result.error == "validation_failed")
                #expect((result["reason"] as? String ?? "").contains(mention), "\(result.raw)")
            }
            #expect(try await h.count("users") == 0, "no account is created by an invalid form")
        }
    }

    @Test(arguments: TestBackend.all)
    func duplicateUsernameOrEmailIs409(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            _ = try await h.register("carol")
            let sameName = try await h.call(.post, "/api/auth/register", body: [
                "username": "carol", "email": "other@example.com", "password": "Passw0rdxx", "role": "learner"])
            #expect(sameName.status == .conflict)
            #expect(sameName.error == "account_exists")
            let sameEmail = try await h.call(.post, "/api/auth/register", body: [
                "username": "carol2", "email": "CAROL@example.com", "password": "Passw0rdxx", "role": "learner"])
            #expect(sameEmail.status == .conflict)
            // The same answer as a taken username: which field collided (and so that the address has an
            // account) is not said; the address's owner hears about the attempt instead.
            #expect(sameEmail.error == "account_exists")
            #expect(sameEmail.raw == sameName.raw)
            #expect(try await h.count("email_outbox", where: "kind = 'signup_attempt'") == 1)
        }
    }

    @Test(arguments: TestBackend.all)
    func loginChecksPasswordAndAcceptsEmail(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let dave = try await h.register("dave")
            let ok = try await h.call(.post, "/api/auth/login", body: ["username": "dave", "password": "Passw0rd!x"])
            #expect(ok.status == .ok)
            let token = try #require(ok["access_token"] as? String)
            let me = try await h.call(.get, "/api/me", token: token)
            #expect((me["id"] as? NSNumber)?.int64Value == dave.id)
            let byEmail = try await h.call(.post, "/api/auth/login", body: ["username": "dave@example.com", "password": "Passw0rd!x"])
            #expect(byEmail.status == .ok)
            let wrong = try await h.call(.post, "/api/auth/login", body: ["username": "dave", "password": "Passw0rd!y"])
            #expect(wrong.status == .unauthorized)
            let unknown = try await h.call(.post, "/api/auth/login", body: ["username": "nobody", "password": "Passw0rd!x"])
            #expect(unknown.status == .unauthorized)
            #expect(wrong.raw == unknown.raw, "no account enumeration")
        }
    }

    @Test(arguments: TestBackend.all)
    func deactivatedAccountCannotLogIn(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            _ = try await h.register("erin")
            try await h.sql.raw("UPDATE users SET is_active = \(bind: false) WHERE username = 'erin'").run()
            let result = try await h.call(.post, "/api/auth/login", body: ["username": "erin", "password": "Passw0rd!x"])
            #expect(result.status == .forbidden)
        }
    }

    @Test(arguments: TestBackend.all)
    func tokensAreRequiredVerifiedAndExpire(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.accessTokenLifetimeSeconds = 60 }) { h in
            #expect(try await h.call(.get, "/api/me").status == .unauthorized)
            #expect(try await h.call(.get, "/api/me", token: "garbage").status == .unauthorized)
            let frank = try await h.register("frank")
            // Change a signature character well before the end (the last one carries padding bits a decoder may ignore).
            var forgedBytes = Array(frank.token.utf8)
            let index = forgedBytes.count - 10
            forgedBytes[index] = forgedBytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let forged = String(decoding: forgedBytes, as: UTF8.self)
            #expect(try await h.call(.get, "/api/me", token: forged).status == .unauthorized)
            #expect(try await h.call(.get, "/api/me", headers: ["Authorization": "Basic abc"]).status == .unauthorized)

            // A token issued two minutes "ago" with a one-minute lifetime has expired.
            h.clock.advance(by: -120)
            let old = try await h.call(.post, "/api/auth/login", body: ["username": "frank", "password": "Passw0rd!x"])
            let oldToken = try #require(old["access_token"] as? String)
            let expired = try await h.call(.get, "/api/me", token: oldToken)
            #expect(expired.status == .unauthorized)
            #expect(expired["reason"] as? String == "invalid or expired token")
        }
    }
}
