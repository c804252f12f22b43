import FluentKit

/// Every migration in order; tables with foreign keys come after what they reference.
public enum PeerLearnMigrations {
    public static let all: [any Migration] = [
        CreateUsers(),
        CreateSessions(),
        CreateBookings(),
        CreateRequests(),
        CreateFeedback(),
        CreateNotifications(),
        CreatePopularityMetrics(),
        CreateFollows(),
        CreateSessionStatistics(),
        CreateEmailOutbox(),
        CreateIdempotencyKeys(),
        CreatePayments(),
        AddBandwidthStatistics(),
        AddMentorRating(),
        AddRequestSession(),
        CreateStaffTools(),
        CreateRelayNodes(),
        AddRelayConnections(),
        AddRelayNodeAdmissions(),
    ]
}
