import FluentKit
import Foundation
import Hummingbird

/// `GET/PATCH /api/me`, profile images, and public profiles.
struct ProfileRoutes: Sendable {
    let services: ControlPlaneServices

    struct ProfileUpdate: Decodable {
        var firstName: String?
        var lastName: String?
        var bio: String?
        var skills: [String]?
        var interests: [String]?
        var hourlyRate: Decimal?
    }

    /// The image types accepted, by their magic bytes (the declared Content-Type is not trusted).
    static let imageSignatures: [(ext: String, mime: String, magic: [UInt8])] = [
        ("png", "image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        ("jpg", "image/jpeg", [0xFF, 0xD8, 0xFF]),
    ]

    func register(on api: RouterGroup<AppRequestContext>) {
        api.get("me") { _, context in
            try await UserResponse(self.loadCaller(context), includePrivate: true)
        }
        api.patch("me") { request, context in
            let update = try await request.decode(as: ProfileUpdate.self, context: context)
            return try await self.updateProfile(update, context: context)
        }
        api.put("me/image") { request, context in
            try await self.uploadImage(request, context: context)
        }
        api.get("users/:id") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let user = try await User.find(id, on: self.services.db), user.isActive else { throw APIError.notFound("user") }
            return UserResponse(user, includePrivate: false)
        }
        api.get("users/:id/image") { _, context in
            try await self.image(userID: try context.parameters.require("id", as: Int64.self))
        }
    }

    func loadCaller(_ context: AppRequestContext) async throws -> User {
        let caller = try context.requireCaller()
        guard let user = try await User.find(caller.id, on: services.db), user.isActive else {
            throw APIError.unauthorized("account no longer exists")
        }
        return user
    }

    func updateProfile(_ update: ProfileUpdate, context: AppRequestContext) async throws -> UserResponse {
        let user = try await loadCaller(context)
        var validator = Validator()
        if let firstName = update.firstName {
            validator.require(firstName.count <= 100, "first_name is longer than 100 characters")
            user.firstName = firstName
        }
        if let lastName = update.lastName {
            validator.require(lastName.count <= 100, "last_name is longer than 100 characters")
            user.lastName = lastName
        }
        if let bio = update.bio {
            validator.require(bio.count <= 5000, "bio is longer than 5000 characters")
            user.bio = bio
        }
        if update.skills != nil {
            let skills = Validator.tags(update.skills)
            validator.require(skills != nil, "skills: at most 50 tags of at most 50 characters")
            user.skills = skills
        }
        if update.interests != nil {
            let interests = Validator.tags(update.interests)
            validator.require(interests != nil, "interests: at most 50 tags of at most 50 characters")
            user.interests = interests
        }
        if let rate = update.hourlyRate {
            let cents = Money.cents(rate)
            validator.require(cents != nil, "hourly_rate must be >= 0 with at most 2 decimals")
            user.hourlyRateCents = cents
        }
        try validator.check()
        try await user.save(on: services.db)
        return UserResponse(user, includePrivate: true)
    }

    var imageDirectory: String { (services.configuration.dataDirectory as NSString).appendingPathComponent("images") }

    func uploadImage(_ request: Request, context: AppRequestContext) async throws -> UserResponse {
        let user = try await loadCaller(context)
        let limit = services.configuration.maxImageBytes
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "payload_too_large", "image is larger than \(limit) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard let kind = Self.imageSignatures.first(where: { bytes.starts(with: $0.magic) }) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "profile image must be PNG or JPEG")
        }
        try FileManager.default.createDirectory(atPath: imageDirectory, withIntermediateDirectories: true)
        let name = "\(user.id!).\(kind.ext)"
        let path = (imageDirectory as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw APIError(.internalServerError, "internal_error", "cannot store the image")
        }
        user.profileImage = name
        try await user.save(on: services.db)
        return UserResponse(user, includePrivate: true)
    }

    func image(userID: Int64) async throws -> Response {
        guard let user = try await User.find(userID, on: services.db), let name = user.profileImage,
              let data = FileManager.default.contents(atPath: (imageDirectory as NSString).appendingPathComponent(name))
        else { throw APIError.notFound("image") }
        let mime = Self.imageSignatures.first { name.hasSuffix("." + $0.ext) }?.mime ?? "application/octet-stream"
        return Response(status: .ok, headers: [.contentType: mime], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
