import Foundation
import Testing

/// `GET /api/sessions`: public and scheduled only, with filters, sorting and pagination; and
/// `GET /api/me/sessions`: a mentor's own sessions in every status.
@Suite struct SessionCatalogTests {
    func titles(_ result: APIResult) -> [String] {
        (result["items"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
    }

    @Test(arguments: TestBackend.all)
    func listsOnlyPublicScheduledSessionsWithFilters(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mira = try await h.register("mira", role: "mentor")
            let otto = try await h.register("otto", role: "mentor")
            _ = try await h.createSession(mentor: mira, startsIn: 7200, skills: ["Swift", "iOS"], title: "Swift B")
            _ = try await h.createSession(mentor: mira, startsIn: 3600, skills: ["swift"], title: "Swift A")
            _ = try await h.createSession(mentor: otto, startsIn: 86400 * 3, skills: ["rust"], title: "Rust 100%")
            _ = try await h.createSession(mentor: otto, skills: ["swift"], title: "Private", isPublic: false)
            _ = try await h.createSession(mentor: otto, skills: ["swift"], title: "Draft", schedule: false)
            let cancelled = try await h.createSession(mentor: otto, title: "Cancelled")
            _ = try await h.call(.post, "/api/sessions/\(cancelled)/cancel", token: otto.token)

            let all = try await h.call(.get, "/api/sessions")
            #expect(titles(all) == ["Swift A", "Swift B", "Rust 100%"], "public + scheduled, by schedule")
            #expect(all["total"] as? Int == 3)
            #expect(titles(try await h.call(.get, "/api/sessions?skill=swift")) == ["Swift A", "Swift B"])
            #expect(titles(try await h.call(.get, "/api/sessions?skill=ios")) == ["Swift B"])
            #expect(titles(try await h.call(.get, "/api/sessions?mentor=\(otto.id)")) == ["Rust 100%"])
            #expect(titles(try await h.call(.get, "/api/sessions?q=rust")) == ["Rust 100%"])
            #expect(titles(try await h.call(.get, "/api/sessions?q=100%25")) == ["Rust 100%"], "LIKE wildcards are literal")
            #expect(titles(try await h.call(.get, "/api/sessions?q=%25")) == ["Rust 100%"])
            let tomorrow = h.clock.now.addingTimeInterval(86400).formatted(TestHarness.iso)
            #expect(titles(try await h.call(.get, "/api/sessions?from=\(tomorrow)")) == ["Rust 100%"])
            #expect(titles(try await h.call(.get, "/api/sessions?to=\(tomorrow)")) == ["Swift A", "Swift B"])

            let page2 = try await h.call(.get, "/api/sessions?per_page=2&page=2")
            #expect(titles(page2) == ["Rust 100%"])
            #expect(page2["total"] as? Int == 3)
        }
    }

    @Test(arguments: TestBackend.all)
    func sortsByPopularity(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mira = try await h.register("mira", role: "mentor")
            let learner = try await h.register("leo")
            _ = try await h.createSession(mentor: mira, startsIn: 3600, title: "Early")
            let popular = try await h.createSession(mentor: mira, startsIn: 7200, title: "Popular")
            #expect(try await h.book(popular, learner: learner).status == .created)
            let result = try await h.call(.get, "/api/sessions?sort=popularity")
            #expect(titles(result) == ["Popular", "Early"])
            #expect(titles(try await h.call(.get, "/api/sessions?sort=schedule")) == ["Early", "Popular"])
        }
    }

    @Test(arguments: TestBackend.all)
    func mySessionsListEveryStatusOfTheCallerOnlyNewestFirst(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mira = try await h.register("mira", role: "mentor")
            let otto = try await h.register("otto", role: "mentor")
            let leo = try await h.register("leo")
            _ = try await h.createSession(mentor: mira, startsIn: 3600, title: "Draft", schedule: false)
            _ = try await h.createSession(mentor: mira, startsIn: 7200, title: "Private", isPublic: false)
            _ = try await h.createSession(mentor: mira, startsIn: 86400, title: "Scheduled")
            let cancelled = try await h.createSession(mentor: mira, startsIn: 1800, title: "Cancelled")
            #expect(try await h.call(.post, "/api/sessions/\(cancelled)/cancel", token: mira.token).status == .ok)
            let active = try await h.createSession(mentor: mira, startsIn: 600, title: "Active")
            #expect(try await h.call(.post, "/api/sessions/\(active)/start", token: mira.token).status == .ok)
            let completed = try await h.createSession(mentor: mira, startsIn: 300, title: "Completed")
            #expect(try await h.call(.post, "/api/sessions/\(completed)/start", token: mira.token).status == .ok)
            #expect(try await h.call(.post, "/api/sessions/\(completed)/complete", token: mira.token).status == .ok)
            _ = try await h.createSession(mentor: otto, startsIn: 5000, title: "Otto's")
            _ = try await h.createSession(mentor: otto, startsIn: 4000, title: "Otto's draft", schedule: false)

            let mine = try await h.call(.get, "/api/me/sessions", token: mira.token)
            #expect(mine.status == .ok)
            #expect(titles(mine) == ["Scheduled", "Private", "Draft", "Cancelled", "Active", "Completed"],
                    "every status, newest schedule first, no one else's")
            #expect(mine["total"] as? Int == 6)
            #expect(mine["page"] as? Int == 1)
            #expect(mine["per_page"] as? Int == 20)
            let items = mine["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["status"] as? String } == ["scheduled", "scheduled", "draft", "cancelled", "active", "completed"])
            #expect(items.allSatisfy { ($0["mentor_id"] as? NSNumber)?.int64Value == mira.id })
            #expect(items.allSatisfy { $0["meeting_room_id"] is String }, "the same Session shape as elsewhere")

            let page2 = try await h.call(.get, "/api/me/sessions?page=2&per_page=4", token: mira.token)
            #expect(titles(page2) == ["Active", "Completed"])
            #expect(page2["total"] as? Int == 6)
            #expect(titles(try await h.call(.get, "/api/me/sessions?page=3&per_page=4", token: mira.token)).isEmpty)
            #expect(titles(try await h.call(.get, "/api/me/sessions", token: otto.token)) == ["Otto's", "Otto's draft"])
            let learners = try await h.call(.get, "/api/me/sessions", token: leo.token)
            #expect(learners.status == .ok)
            #expect(titles(learners).isEmpty)
            #expect(learners["total"] as? Int == 0)

            #expect(try await h.call(.get, "/api/me/sessions").status == .unauthorized)
            #expect(try await h.call(.get, "/api/me/sessions", token: "not-a-token").status == .unauthorized)
            #expect(try await h.call(.get, "/api/me/sessions?per_page=0", token: mira.token).status == .badRequest)
            #expect(try await h.call(.get, "/api/me/sessions?page=zero", token: mira.token).status == .badRequest)
            #expect(try await h.count("popularity_metrics", where: "view_count > 0") == 0, "listing one's own sessions counts no views")
        }
    }
}
