import Foundation
import Testing

/// `GET/PATCH /api/me`, public profiles and profile images.
@Suite struct ProfileTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 24)

    @Test(arguments: TestBackend.all)
    func profileUpdatesAndValidation(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("mira", role: "mentor")
            let updated = try await h.call(.patch, "/api/me", token: mentor.token, body: [
                "first_name": "Mira", "bio": "Swift on servers", "skills": ["swift", "nio"], "hourly_rate": 80,
            ])
            #expect(updated.status == .ok)
            #expect(updated["first_name"] as? String == "Mira")
            #expect(updated["skills"] as? [String] == ["swift", "nio"])
            #expect((updated["hourly_rate"] as? NSNumber)?.doubleValue == 80)
            #expect(try await h.call(.patch, "/api/me", token: mentor.token, body: ["hourly_rate": -3]).status == .unprocessableContent)
            #expect(try await h.call(.patch, "/api/me", token: mentor.token, body: ["skills": [String(repeating: "x", count: 51)]]).status == .unprocessableContent)
            #expect(try await h.call(.patch, "/api/me", body: ["bio": "x"]).status == .unauthorized)

            let publicView = try await h.call(.get, "/api/users/\(mentor.id)")
            #expect(publicView["bio"] as? String == "Swift on servers")
            #expect(publicView["email"] == nil, "email is private")
        }
    }

    @Test(arguments: TestBackend.all)
    func profileImageUpload(backend: TestBackend) async throws {
        try await TestHarness.run(backend, configure: { $0.maxImageBytes = 1024 }) { h in
            let user = try await h.register("leo")
            #expect(try await h.call(.get, "/api/users/\(user.id)/image").status == .notFound)
            let uploaded = try await h.call(.put, "/api/me/image", token: user.token, body: Self.png)
            #expect(uploaded.status == .ok)
            #expect(uploaded["profile_image_url"] as? String == "/api/users/\(user.id)/image")
            let image = try await h.call(.get, "/api/users/\(user.id)/image")
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            let notImage = try await h.call(.put, "/api/me/image", token: user.token, body: "GIF89a-or-whatever")
            #expect(notImage.status == .unsupportedMediaType)
            let tooBig = try await h.call(.put, "/api/me/image", token: user.token, body: Self.png + Array(repeating: 1, count: 2000))
            #expect(tooBig.status == .contentTooLarge)
            #expect(tooBig.error == "payload_too_large")
        }
    }
}
