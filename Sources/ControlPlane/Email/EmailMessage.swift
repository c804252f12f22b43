/// One email as the transport sends it.
public struct EmailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String

    public init(from: String, to: String, subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Delivers an email somewhere. The outbox dispatcher retries failures.
public protocol EmailTransport: Sendable {
    func send(_ message: EmailMessage) async throws
}
