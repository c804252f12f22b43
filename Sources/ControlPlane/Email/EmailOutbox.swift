import FluentKit

/// Records outgoing email in the outbox table. Callers pass the transaction of the change that caused the
/// message, so the message exists exactly when the change does.
enum EmailOutbox {
    static func enqueue(to: String, subject: String, body: String, kind: String, on db: any Database) async throws {
        try await OutboxEmail(to: to, subject: subject, body: body, kind: kind).create(on: db)
    }
}
