import Foundation
import Testing

/// Bad input is always a 4xx JSON error, never a 500 or an empty body.
@Suite struct ErrorHandlingTests {
    @Test(arguments: TestBackend.all)
    func malformedBodiesAre400JSON(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mentor1", role: "mentor")
            let learner = try await h.register("learner1")
            let session = try await h.createSession(mentor: mentor)
            let posts: [(String, String?)] = [
                ("/api/auth/register", nil), ("/api/auth/login", mentor.token), ("/api/sessions", mentor.token),
                ("/api/requests", learner.token), ("/api/sessions/\(session)/feedback", learner.token),
                ("/api/sessions/\(session)/bookings", learner.token),
            ]
            for (path, token) in posts {
                for body in ["{not json", "[1,2]", "\"text\"", "{\"username\": 5, \"card_token\": 5, \"rating\": \"x\", \"mentor_id\": \"y\", \"title\": 1}"] {
                    let result = try await h.call(.post, path, token: token, body: body)
                    #expect(result.status == .badRequest, "\(path) \(body) → \(result.status) \(result.raw)")
                    #expect(result.error == "bad_request")
                    #expect(result["reason"] is String)
                }
            }
            let patch = try await h.call(.patch, "/api/sessions/\(session)", token: mentor.token, body: "{\"duration\": \"long\"}")
            #expect(patch.status == .badRequest)
            let me = try await h.call(.patch, "/api/me", token: mentor.token, body: "nope")
            #expect(me.status == .badRequest)
        }
    }

    @Test(arguments: TestBackend.all)
    func unknownRoutesAndIdsAre404JSON(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let user = try await h.register("someone")
            for path in ["/api/nothing", "/api/sessions/not-a-uuid", "/api/sessions/\(UUID())", "/api/users/999",
                         "/api/sessions/\(UUID())/metrics"] {
                let result = try await h.call(.get, path, token: user.token)
                #expect(result.status == .notFound, "\(path)")
                #expect(result.error == "not_found")
            }
            let badID = try await h.call(.post, "/api/bookings/abc/cancel", token: user.token)
            #expect((400..<500).contains(badID.status.code))
            #expect(badID.error != nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func wrongMethodsAndHugeBodiesAreJSONErrors(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let user = try await h.register("someone")
            let wrongMethod = try await h.call(.delete, "/api/sessions", token: user.token)
            #expect((400..<500).contains(wrongMethod.status.code))
            #expect(wrongMethod.error != nil)
            let huge = String(repeating: "x", count: 5 * 1024 * 1024)
            let tooLarge = try await h.call(.post, "/api/auth/login", body: "{\"username\": \"\(huge)\"}")
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.error == "payload_too_large")
        }
    }

    @Test(arguments: TestBackend.all)
    func badQueryParametersAre400(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            for query in ["page=0", "per_page=1000", "sort=random", "mentor=x", "from=yesterday", "page=abc"] {
                let result = try await h.call(.get, "/api/sessions?\(query)")
                #expect(result.status == .badRequest, "\(query)")
                #expect(result.error == "bad_request")
            }
        }
    }
}
