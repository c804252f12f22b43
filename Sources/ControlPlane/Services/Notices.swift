import FluentKit

/// What the flows tell people: one call writes the in-app notification and, when the flow also emails,
/// the message to the user's address, both in the caller's transaction, so they exist exactly when the
/// change that caused them does. `Notifier` and `EmailOutbox` are the rows underneath.
enum Notices {
    /// The email half of a notice.
    struct Email: Sendable {
        var subject: String
        var body: String
        /// `OutboxEmail.kind`: `session_cancelled`, `feedback_request`, …
        var kind: String
    }

    /// Tells `userID` in the app and, with `email`, at their address too (read in the same transaction; a
    /// user gone meanwhile gets no email).
    static func send(
        to userID: Int64, title: String, message: String, type: NotificationType = .info,
        priority: NotificationPriority = .medium, actionURL: String? = nil, email: Email? = nil,
        on db: any Database
    ) async throws {
        try await Notifier.notify(
            userID, title: title, message: message, type: type, priority: priority, actionURL: actionURL, on: db)
        guard let email, let user = try await User.find(userID, on: db) else { return }
        try await Self.email(email, to: user.email, on: db)
    }

    /// Email alone, to an address: sign-up's messages, written before (or without) an account to see an
    /// in-app notification in.
    static func email(_ email: Email, to address: String, on db: any Database) async throws {
        try await EmailOutbox.enqueue(to: address, subject: email.subject, body: email.body, kind: email.kind, on: db)
    }
}
