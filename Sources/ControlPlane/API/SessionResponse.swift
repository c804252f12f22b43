import Foundation

struct SessionResponse: Codable, Sendable {
    var id: UUID
    var title: String
    var description: String
    var mentorId: Int64
    var schedule: Date
    var duration: Int
    var maxParticipants: Int
    var currentParticipants: Int
    var seatsLeft: Int
    var status: SessionStatus
    var meetingRoomId: String
    var skillsRequired: [String]
    var price: Decimal
    var isPublic: Bool
    var createdAt: Date?
    var updatedAt: Date?

    init(_ session: LearningSession) {
        id = session.id ?? UUID()
        title = session.title
        description = session.description
        mentorId = session.$mentor.id
        schedule = session.schedule
        duration = session.duration
        maxParticipants = session.maxParticipants
        currentParticipants = session.currentParticipants
        seatsLeft = max(0, session.maxParticipants - session.currentParticipants)
        status = session.status
        meetingRoomId = session.meetingRoomID
        skillsRequired = session.skillsRequired ?? []
        price = Money.decimal(session.priceCents)
        isPublic = session.isPublic
        createdAt = session.createdAt
        updatedAt = session.updatedAt
    }
}

struct SessionPage: Codable, Sendable {
    var items: [SessionResponse]
    var page: Int
    var perPage: Int
    var total: Int
}
