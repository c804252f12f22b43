import Foundation

struct RequestResponse: Codable, Sendable {
    var id: Int64
    var learnerId: Int64
    var mentorId: Int64
    var subject: String
    var message: String
    var preferredSchedule: Date?
    var durationRequested: Int?
    var status: RequestStatus
    var responseMessage: String?
    var createdAt: Date?
    var respondedAt: Date?
    var sessionId: UUID?

    init(_ request: MentorshipRequest) {
        id = request.id ?? 0
        learnerId = request.$learner.id
        mentorId = request.$mentor.id
        subject = request.subject
        message = request.message
        preferredSchedule = request.preferredSchedule
        durationRequested = request.durationRequested
        status = request.status
        responseMessage = request.responseMessage
        createdAt = request.createdAt
        respondedAt = request.respondedAt
        sessionId = request.$session.id
    }
}

struct FeedbackResponse: Codable, Sendable {
    var id: Int64
    var sessionId: UUID
    /// Nil when the feedback is anonymous, so the author cannot be recovered from the API.
    var userId: Int64?
    var rating: Int
    var comment: String?
    var feedbackType: FeedbackType
    var isAnonymous: Bool
    var createdAt: Date?

    init(_ feedback: Feedback) {
        id = feedback.id ?? 0
        sessionId = feedback.$session.id
        userId = feedback.isAnonymous ? nil : feedback.$user.id
        rating = feedback.rating
        comment = feedback.comment
        feedbackType = feedback.feedbackType
        isAnonymous = feedback.isAnonymous
        createdAt = feedback.createdAt
    }
}

struct NotificationResponse: Codable, Sendable {
    var id: Int64
    var title: String
    var message: String
    var notificationType: NotificationType
    var isRead: Bool
    var actionUrl: String?
    var priority: NotificationPriority
    var createdAt: Date?
    var readAt: Date?

    init(_ notification: UserNotification) {
        id = notification.id ?? 0
        title = notification.title
        message = notification.message
        notificationType = notification.notificationType
        isRead = notification.isRead
        actionUrl = notification.actionURL
        priority = notification.priority
        createdAt = notification.createdAt
        readAt = notification.readAt
    }
}

struct MetricsResponse: Codable, Sendable {
    var sessionId: UUID
    var viewCount: Int
    var bookingCount: Int
    var completionRate: Double
    var ratingAverage: Double
    var mentorRating: Double?
    var popularityScore: Double
    var formula: String

    init(_ metrics: PopularityMetrics) {
        sessionId = metrics.$session.id
        viewCount = metrics.viewCount
        bookingCount = metrics.bookingCount
        completionRate = metrics.completionRate
        ratingAverage = metrics.ratingAverage
        mentorRating = metrics.mentorRating
        popularityScore = metrics.popularityScore
        formula = "ln(1 + view_count) + 2*booking_count + 10*completion_rate + 2*rating_average"
    }
}

struct FollowResponse: Codable, Sendable {
    var mentorId: Int64
    var following: Bool
    var followerCount: Int
}

struct RoomTokenResponse: Codable, Sendable {
    var token: String
    var role: String
    var sessionId: UUID
    var meetingRoomId: String
    var expiresAt: Date
    /// The relay node the room is placed on; absent when this process's own relay serves it (`serve`).
    var relay: RelayEndpoints?
}

/// Where a room's node takes signaling: WHIP, WHEP and the room WebSocket (the web app and the load tester
/// use `url` as their base).
struct RelayEndpoints: Codable, Sendable {
    var nodeId: String
    var url: String
    var whipUrl: String
    var whepUrl: String
    var websocketUrl: String

    init(node: RelayNode, roomID: String) {
        let room = roomID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? roomID
        nodeId = node.id
        url = node.signalingURL
        whipUrl = "\(node.signalingURL)/whip/\(room)"
        whepUrl = "\(node.signalingURL)/whep/\(room)"
        let socketBase = node.signalingURL.hasPrefix("https:")
            ? "wss:" + node.signalingURL.dropFirst("https:".count) : "ws:" + node.signalingURL.dropFirst("http:".count)
        websocketUrl = "\(socketBase)/ws/rooms/\(room)"
    }
}
