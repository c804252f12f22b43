import FluentKit
import Foundation

/// USERS. Money is kept in integer cents (`hourly_rate_cents`): exact on SQLite, which has no decimal type.
public final class User: Model, @unchecked Sendable {
    public static let schema = "users"

    @ID(custom: "id", generatedBy: .database) public var id: Int64?
    @Field(key: "username") public var username: String
    @Field(key: "email") public var email: String
    /// bcrypt hash; never leaves the server.
    @Field(key: "password") public var passwordHash: String
    @OptionalField(key: "first_name") public var firstName: String?
    @OptionalField(key: "last_name") public var lastName: String?
    @Field(key: "role") public var role: UserRole
    @OptionalField(key: "bio") public var bio: String?
    @OptionalField(key: "skills") public var skills: [String]?
    @OptionalField(key: "interests") public var interests: [String]?
    @OptionalField(key: "profile_image") public var profileImage: String?
    @OptionalField(key: "hourly_rate_cents") public var hourlyRateCents: Int64?
    @Field(key: "is_active") public var isActive: Bool
    @Field(key: "is_staff") public var isStaff: Bool
    @Field(key: "is_superuser") public var isSuperuser: Bool
    @Timestamp(key: "date_joined", on: .create) public var dateJoined: Date?
    @OptionalField(key: "last_login") public var lastLogin: Date?

    public init() {}

    public init(username: String, email: String, passwordHash: String, role: UserRole) {
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.role = role
        self.isActive = true
        self.isStaff = false
        self.isSuperuser = false
    }
}
