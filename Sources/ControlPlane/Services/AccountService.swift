import FluentKit
import Foundation

/// Accounts: the seed's registration flow (validate → create account → welcome email), login, the
/// caller's own profile and image, and public profiles.
struct AccountService: Sendable {
    let services: ControlPlaneServices

    struct Registration: Decodable {
        var username: String
        var email: String
        var password: String
        var role: String
        var firstName: String?
        var lastName: String?
        var bio: String?
        var skills: [String]?
        var interests: [String]?
        var hourlyRate: Decimal?
    }

    struct Login: Decodable {
        /// The username or the email address.
        var username: String
        var password: String
    }

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

    func register(_ input: Registration) async throws -> AuthResponse {
        let username = input.username.trimmingCharacters(in: .whitespaces)
        let email = input.email.trimmingCharacters(in: .whitespaces).lowercased()
        let role = UserRole(rawValue: input.role)
        let skills = Validator.tags(input.skills)
        let interests = Validator.tags(input.interests)
        var validator = Validator()
        validator.require(Validator.isUsername(username), "username must be 3-150 letters, digits or @.+-_")
        validator.require(Validator.isEmail(email), "email is not a valid address")
        validator.require(role != nil, "role must be mentor or learner")
        for problem in Validator.passwordProblems(input.password, username: username, email: email) {
            validator.require(false, problem)
        }
        validator.require((input.firstName ?? "").count <= 100, "first_name is longer than 100 characters")
        validator.require((input.lastName ?? "").count <= 100, "last_name is longer than 100 characters")
        validator.require((input.bio ?? "").count <= 5000, "bio is longer than 5000 characters")
        validator.require(skills != nil, "skills: at most 50 tags of at most 50 characters")
        validator.require(interests != nil, "interests: at most 50 tags of at most 50 characters")
        var hourlyRateCents: Int64?
        if let rate = input.hourlyRate {
            hourlyRateCents = Money.cents(rate)
            validator.require(hourlyRateCents != nil, "hourly_rate must be >= 0 with at most 2 decimals")
        }
        try validator.check()

        let db = services.db
        // Account enumeration. Usernames are public (profiles and sessions show them), but email addresses
        // are not, so the answer never says which one collided: one `account_exists` 409 for both. The
        // address's owner is told by email, and the per-address rate limit bounds how many addresses one
        // client can try. (Hiding even that a collision happened needs e-mail verification before the first
        // token is handed out, a different sign-up flow.)
        if try await User.query(on: db).filter(\.$username == username).first() != nil {
            throw APIError.conflict("account_exists", "that username is taken, or that email address cannot be used")
        }
        if let owner = try await User.query(on: db).filter(\.$email == email).first() {
            try await Notices.email(.init(
                subject: "Someone tried to sign up with your address",
                body: "Someone tried to create a PeerLearn account with this address. If it was you, log in as "
                    + "\(owner.username) instead; if not, you can ignore this message.",
                kind: "signup_attempt"), to: owner.email, on: db)
            throw APIError.conflict("account_exists", "that username is taken, or that email address cannot be used")
        }
        let user = User(username: username, email: email, passwordHash: try await services.passwords.hash(input.password), role: role!)
        user.firstName = input.firstName
        user.lastName = input.lastName
        user.bio = input.bio
        user.skills = skills
        user.interests = interests
        user.hourlyRateCents = hourlyRateCents
        user.lastLogin = services.now()
        // The account and its welcome email commit together (a racing duplicate hits the unique keys → 409).
        try await db.transaction { tx in
            try await user.create(on: tx)
            try await Notices.email(.init(
                subject: "Welcome to PeerLearn",
                body: "Hi \(input.firstName ?? username), your \(role!.rawValue) account is ready.",
                kind: "welcome"), to: email, on: tx)
        }
        return try await signedIn(user)
    }

    func login(_ input: Login) async throws -> AuthResponse {
        let identifier = input.username.trimmingCharacters(in: .whitespaces)
        // Guessing one account's password from many addresses still meets this bucket.
        try services.limitAccount("login", identifier.lowercased())
        let db = services.db
        let user = try await User.query(on: db).group(.or) {
            $0.filter(\.$username == identifier).filter(\.$email == identifier.lowercased())
        }.first()
        // Same answer and the same bcrypt work for an unknown user and a wrong password: no account
        // enumeration by status or by timing (an unknown user is checked against a dummy hash of equal cost).
        let matches = try await services.passwords.verify(input.password, hash: user?.passwordHash ?? services.passwords.dummyHash)
        guard let user, matches else {
            throw APIError.unauthorized("invalid username or password")
        }
        guard user.isActive else { throw APIError.forbidden("account is deactivated") }
        user.lastLogin = services.now()
        try await user.save(on: db)
        return try await signedIn(user)
    }

    private func signedIn(_ user: User) async throws -> AuthResponse {
        let token = try await services.accessTokens.issue(userID: user.id!, role: user.role, now: services.now())
        return AuthResponse(
            user: UserResponse(user, includePrivate: true), accessToken: token.token, tokenType: "Bearer",
            expiresAt: token.expiresAt)
    }

    /// The caller's own row; a token outliving its (deactivated) account is refused.
    func activeUser(_ id: Int64) async throws -> User {
        guard let user = try await User.find(id, on: services.db), user.isActive else {
            throw APIError.unauthorized("account no longer exists")
        }
        return user
    }

    /// Another user's public profile (no email); deactivated accounts are not found.
    func publicProfile(_ id: Int64) async throws -> UserResponse {
        guard let user = try await User.find(id, on: services.db), user.isActive else { throw APIError.notFound("user") }
        return UserResponse(user, includePrivate: false)
    }

    func updateProfile(_ update: ProfileUpdate, userID: Int64) async throws -> UserResponse {
        let user = try await activeUser(userID)
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

    /// Stores `bytes` as `user`'s profile image, if they are a PNG or JPEG.
    func setImage(_ bytes: [UInt8], of user: User) async throws -> UserResponse {
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

    /// A user's profile image and its type.
    func image(userID: Int64) async throws -> (data: Data, mime: String) {
        guard let user = try await User.find(userID, on: services.db), let name = user.profileImage,
              let data = FileManager.default.contents(atPath: (imageDirectory as NSString).appendingPathComponent(name))
        else { throw APIError.notFound("image") }
        let mime = Self.imageSignatures.first { name.hasSuffix("." + $0.ext) }?.mime ?? "application/octet-stream"
        return (data, mime)
    }
}
