import Foundation
import Testing

/// Notifications (listing, marking read) and follows (followers hear of new sessions; the caller's list).
@Suite struct NotificationAndFollowTests {
    @Test(arguments: TestBackend.all)
    func followersAreNotifiedOfNewSessions(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let fan = try await h.register("fan")
            let lapsed = try await h.register("lapsed")
            let peer = try await h.register("peer")
            let follow = try await h.call(.post, "/api/mentors/\(mentor.id)/follow", token: fan.token)
            #expect(follow.status == .ok)
            #expect(follow["following"] as? Bool == true)
            #expect(try await h.call(.post, "/api/mentors/\(mentor.id)/follow", token: fan.token)["follower_count"] as? Int == 1,
                    "following twice is one follow")
            _ = try await h.call(.post, "/api/mentors/\(mentor.id)/follow", token: lapsed.token)
            let unfollow = try await h.call(.delete, "/api/mentors/\(mentor.id)/follow", token: lapsed.token)
            #expect(unfollow["following"] as? Bool == false)
            #expect(unfollow["follower_count"] as? Int == 1)
            #expect(try await h.count("follows") == 2, "unfollow keeps the row, inactive")
            #expect(try await h.call(.delete, "/api/mentors/\(mentor.id)/follow", token: peer.token).status == .notFound)
            #expect(try await h.call(.post, "/api/mentors/\(peer.id)/follow", token: fan.token).status == .unprocessableContent)
            #expect(try await h.call(.post, "/api/mentors/\(mentor.id)/follow", token: mentor.token).status == .unprocessableContent)
            #expect(try await h.call(.post, "/api/mentors/4242/follow", token: fan.token).status == .notFound)

            _ = try await h.createSession(mentor: mentor, title: "Fresh")
            let fanNotes = try await h.call(.get, "/api/notifications", token: fan.token).array
            #expect(fanNotes.contains { $0["title"] as? String == "New session" && ($0["message"] as? String ?? "").contains("Fresh") })
            #expect(try await h.call(.get, "/api/notifications", token: lapsed.token).array.isEmpty)
        }
    }

    @Test(arguments: TestBackend.all)
    func notificationsCanBeMarkedRead(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            let id = try await h.createSession(mentor: mentor)
            _ = try await h.book(id, learner: learner)
            _ = try await h.book(try await h.createSession(mentor: mentor), learner: learner)
            let unread = try await h.call(.get, "/api/notifications?unread=true", token: mentor.token).array
            #expect(unread.count == 2)
            let first = try #require((unread.first?["id"] as? NSNumber)?.int64Value)
            #expect(try await h.call(.post, "/api/notifications/\(first)/read", token: learner.token).status == .notFound,
                    "someone else's notification")
            let read = try await h.call(.post, "/api/notifications/\(first)/read", token: mentor.token)
            #expect(read["is_read"] as? Bool == true)
            #expect(read["read_at"] is String)
            #expect(try await h.call(.get, "/api/notifications?unread=true", token: mentor.token).array.count == 1)
            #expect(try await h.call(.post, "/api/notifications/read-all", token: mentor.token).status == .noContent)
            #expect(try await h.call(.get, "/api/notifications?unread=true", token: mentor.token).array.isEmpty)
            #expect(try await h.call(.get, "/api/notifications", token: mentor.token).array.count == 2)
            #expect(try await h.call(.get, "/api/notifications?unread=maybe", token: mentor.token).status == .badRequest)
            #expect(try await h.call(.get, "/api/notifications").status == .unauthorized)
        }
    }

    @Test(arguments: TestBackend.all)
    func myFollowsListTheCallersActiveFollowsOnly(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let zoe = try await h.register("zoe", role: "mentor", extra: ["first_name": "Zoe", "bio": "Rust and Swift"])
            let abe = try await h.register("abe", role: "mentor")
            let dropped = try await h.register("dropped", role: "mentor")
            let fan = try await h.register("fan")
            let other = try await h.register("other")
            for mentor in [zoe, dropped, abe] {
                #expect(try await h.call(.post, "/api/mentors/\(mentor.id)/follow", token: fan.token).status == .ok)
            }
            _ = try await h.call(.delete, "/api/mentors/\(dropped.id)/follow", token: fan.token)
            _ = try await h.call(.post, "/api/mentors/\(dropped.id)/follow", token: other.token)

            let follows = try await h.call(.get, "/api/me/follows", token: fan.token)
            #expect(follows.status == .ok)
            #expect(follows.array.map { $0["username"] as? String } == ["abe", "zoe"], "active follows only, by username")
            #expect(follows.array.map { ($0["id"] as? NSNumber)?.int64Value } == [abe.id, zoe.id])
            let zoeProfile = try #require(follows.array.last)
            #expect(zoeProfile["first_name"] as? String == "Zoe")
            #expect(zoeProfile["bio"] as? String == "Rust and Swift")
            #expect(zoeProfile["role"] as? String == "mentor")
            #expect(zoeProfile["email"] == nil, "public profile shape: no email")
            let publicProfile = try await h.call(.get, "/api/users/\(zoe.id)").object
            #expect(Set(zoeProfile.keys) == Set(publicProfile.keys), "the same shape as GET /api/users/{id}")

            #expect(try await h.call(.get, "/api/me/follows", token: other.token).array.map { $0["username"] as? String } == ["dropped"])
            #expect(try await h.call(.get, "/api/me/follows", token: zoe.token).array.isEmpty)
            _ = try await h.call(.post, "/api/mentors/\(dropped.id)/follow", token: fan.token)
            #expect(try await h.call(.get, "/api/me/follows", token: fan.token).array.count == 3, "a follow resumed is listed again")

            try await h.sql.raw("UPDATE users SET is_active = \(bind: false) WHERE id = \(bind: abe.id)").run()
            #expect(try await h.call(.get, "/api/me/follows", token: fan.token).array.map { $0["username"] as? String } == ["dropped", "zoe"],
                    "deactivated mentors are not listed")
            #expect(try await h.call(.get, "/api/me/follows").status == .unauthorized)
            #expect(try await h.call(.get, "/api/me/follows", token: "not-a-token").status == .unauthorized)
        }
    }
}
