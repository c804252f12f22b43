import FluentKit
import Foundation
import Hummingbird

/// The seed's registration flow (validate → create account → welcome email) and login.
struct AuthRoutes: Sendable {
    let services: ControlPlaneServices

    struct RegisterInput: Decodable {
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

    struct LoginInput: Decodable {
        /// The username or the email address.
        var username: String
        var password: String
    }

    func register(on api: RouterGroup<AppRequestContext>) {
        api.post("auth/register") { request, context in
            try await self.registerUser(try await request.decode(as: RegisterInput.self, context: context))
        }
        api.post("auth/login") { request, context in
            try await self.login(try await request.decode(as: LoginInput.self, context: context))
        }
    }

    func registerUser(_ input: RegisterInput) async throws -> EditedResponse<AuthResponse> {
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
        if try await User.query(on: db).filter(\.$username == username).first() != nil {
            throw APIError.conflict("username_taken", "username is already taken")
        }
        if try await User.query(on: db).filter(\.$email == email).first() != nil {
            throw APIError.conflict("email_taken", "email is already registered")
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
            try await EmailOutbox.enqueue(
                to: email, subject: "Welcome to PeerLearn",
                body: "Hi \(input.firstName ?? username), your \(role!.rawValue) account is ready.",
                kind: "welcome", on: tx)
        }
        let token = try await services.accessTokens.issue(userID: user.id!, role: user.role, now: services.now())
        return EditedResponse(status: .created, response: AuthResponse(
            user: UserResponse(user, includePrivate: true), accessToken: token.token, tokenType: "Bearer",
            expiresAt: token.expiresAt))
    }

    func login(_ input: LoginInput) async throws -> AuthResponse {
        let identifier = input.username.trimmingCharacters(in: .whitespaces)
        let db = services.db
        let user = try await User.query(on: db).group(.or) {
            $0.filter(\.$username == identifier).filter(\.$email == identifier.lowercased())
        }.first()
        // Same answer for unknown user and wrong password: no account enumeration.
        guard let user, try await services.passwords.verify(input.password, hash: user.passwordHash) else {
            throw APIError.unauthorized("invalid username or password")
        }
        guard user.isActive else { throw APIError.forbidden("account is deactivated") }
        user.lastLogin = services.now()
        try await user.save(on: db)
        let token = try await services.accessTokens.issue(userID: user.id!, role: user.role, now: services.now())
        return AuthResponse(
            user: UserResponse(user, includePrivate: true), accessToken: token.token, tokenType: "Bearer",
            expiresAt: token.expiresAt)
    }
}
