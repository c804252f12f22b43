import Foundation
import Testing

/// Notifications (listing, marking read) and follows (followers hear of new sessions).
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
}
