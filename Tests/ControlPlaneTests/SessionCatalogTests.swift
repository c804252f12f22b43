import Foundation
import Testing

/// `GET /api/sessions`: public and scheduled only, with filters, sorting and pagination.
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
}
