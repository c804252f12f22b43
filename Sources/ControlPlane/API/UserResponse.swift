import Foundation

/// A user as the API shows them; never includes the password hash.
struct UserResponse: Codable, Sendable {
    var id: Int64
    var username: String
    var email: String?
    var firstName: String?
    var lastName: String?
    var role: UserRole
    var bio: String?
    var skills: [String]
    var interests: [String]
    var profileImageUrl: String?
    var hourlyRate: Decimal?
    var dateJoined: Date?
    var lastLogin: Date?
    /// Only to the user themself: whether the web app shows them the staff tools.
    var isStaff: Bool?

    /// `includePrivate` adds the email, which only the user themself sees.
    init(_ user: User, includePrivate: Bool) {
        id = user.id ?? 0
        username = user.username
        email = includePrivate ? user.email : nil
        firstName = user.firstName
        lastName = user.lastName
        role = user.role
        bio = user.bio
        skills = user.skills ?? []
        interests = user.interests ?? []
        profileImageUrl = user.profileImage == nil ? nil : "/api/users/\(id)/image"
        hourlyRate = user.hourlyRateCents.map(Money.decimal)
        dateJoined = user.dateJoined
        lastLogin = includePrivate ? user.lastLogin : nil
        isStaff = includePrivate ? (user.isStaff || user.isSuperuser) : nil
    }
}

/// The answer to register and login: the user and a bearer token.
struct AuthResponse: Codable, Sendable {
    var user: UserResponse
    var accessToken: String
    var tokenType: String
    var expiresAt: Date
}
