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
        // Account enumeration. Usernames are public (profiles and sessions show them), but email addresses
        // are not, so the answer never says which one collided: one `account_exists` 409 for both. The
        // address's owner is told by email, and the per-address rate limit bounds how many addresses one
        // client can try. (Hiding even that a collision happened needs e-mail verification before the first
        // token is handed out, a different sign-up flow.)
        if try await User.query(on: db).filter(\.$username == username).first() != nil {
            throw APIError.conflict("account_exists", "that username is taken, or that email address cannot be used")
        }
        if let owner = try await User.query(on: db).filter(\.$email == email).first() {
            try await EmailOutbox.enqueue(
                to: owner.email, subject: "Someone tried to sign up with your address",
                body: "Someone tried to create a PeerLearn account with this address. If it was you, log in as "
                    + "\(owner.username) instead; if not, you can ignore this message.",
                kind: "signup_attempt", on: db)
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
        let token = try await services.accessTokens.issue(userID: user.id!, role: user.role, now: services.now())
        return AuthResponse(
            user: UserResponse(user, includePrivate: true), accessToken: token.token, tokenType: "Bearer",
            expiresAt: token.expiresAt)
    }
}
