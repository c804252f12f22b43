/// The closed vocabularies of the seed's ERD. Each is stored as its raw string and guarded by a CHECK
/// constraint in the migrations, so the database refuses a value the code would not understand.

public enum UserRole: String, Codable, Sendable, CaseIterable {
    case mentor, learner
}

/// draft → scheduled → active → completed; cancel from draft or scheduled.
public enum SessionStatus: String, Codable, Sendable, CaseIterable {
    case draft, scheduled, active, completed, cancelled
}

public enum BookingStatus: String, Codable, Sendable, CaseIterable {
    case pending, confirmed, completed, cancelled
}

public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    case pending, paid, failed, refunded
}

public enum AttendanceStatus: String, Codable, Sendable, CaseIterable {
    case present, absent, late
}

public enum RequestStatus: String, Codable, Sendable, CaseIterable {
    case pending, accepted, declined, expired
}

/// Who wrote the feedback: the mentor about the session, or a learner about the mentor's session.
public enum FeedbackType: String, Codable, Sendable, CaseIterable {
    case mentorFeedback = "mentor_feedback"
    case learnerFeedback = "learner_feedback"
}

public enum NotificationType: String, Codable, Sendable, CaseIterable {
    case info, success, warning, error
}

public enum NotificationPriority: String, Codable, Sendable, CaseIterable {
    case low, medium, high, urgent
}

public enum EmailStatus: String, Codable, Sendable, CaseIterable {
    case pending, sent, failed
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// `'a', 'b', 'c'` for a CHECK (… IN (…)) constraint.
    static var sqlList: String { allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") }
}
