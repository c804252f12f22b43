import Foundation
import Hummingbird

/// `GET/PATCH /api/me`, profile images, and public profiles (`AccountService`).
struct ProfileRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        let accounts = AccountService(services: services)
        api.get("me") { _, context in
            UserResponse(try await accounts.activeUser(try context.requireCaller().id), includePrivate: true)
        }
        api.patch("me") { request, context in
            let update = try await request.decode(as: AccountService.ProfileUpdate.self, context: context)
            return try await accounts.updateProfile(update, userID: try context.requireCaller().id)
        }
        api.put("me/image") { request, context in
            let user = try await accounts.activeUser(try context.requireCaller().id)
            let limit = self.services.configuration.maxImageBytes
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limit)
            } catch {
                throw APIError(.contentTooLarge, "payload_too_large", "image is larger than \(limit) bytes")
            }
            return try await accounts.setImage(Array(buffer.readableBytesView), of: user)
        }
        api.get("users/:id") { _, context in
            try await accounts.publicProfile(try context.parameters.require("id", as: Int64.self))
        }
        api.get("users/:id/image") { _, context in
            let image = try await accounts.image(userID: try context.parameters.require("id", as: Int64.self))
            return Response(status: .ok, headers: [.contentType: image.mime], body: .init(byteBuffer: ByteBuffer(bytes: image.data)))
        }
    }
}
