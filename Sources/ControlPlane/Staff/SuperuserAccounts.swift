import FluentKit
import Foundation

/// `peerlearn admin create-superuser`: makes the first staff account (or promotes an existing one), with
/// the same username, email and password rules as registration.
public struct SuperuserAccounts: Sendable {
    let services: ControlPlaneServices

    public init(services: ControlPlaneServices) {
        self.services = services
    }

    /// A line for the operator saying what was done.
    public func create(username: String, email: String?, password: String?) async throws -> String {
        let db = services.db
        if let user = try await User.query(on: db).filter(\.$username == username).first() {
            user.isStaff = true
            user.isSuperuser = true
            user.isActive = true
            try await user.save(on: db)
            return "\(username) (id \(user.id ?? 0)) is now a superuser"
        }
        guard let email, !email.isEmpty else { throw ConfigurationError.invalidValue(key: "email", reason: "a new account needs --email") }
        guard let password, !password.isEmpty else {
            throw ConfigurationError.invalidValue(key: "password", reason: "set PEERLEARN_SUPERUSER_PASSWORD or pass it on stdin")
        }
        if let problem = Validator.passwordProblems(password, username: username, email: email).first {
            throw ConfigurationError.invalidValue(key: "password", reason: problem)
        }
        let user = User(username: username, email: email, passwordHash: try await services.passwords.hash(password), role: .mentor)
        user.isStaff = true
        user.isSuperuser = true
        try await user.create(on: db)
        return "created superuser \(username) (id \(user.id ?? 0))"
    }
}
