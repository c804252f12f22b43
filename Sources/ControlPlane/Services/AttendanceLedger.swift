import FluentKit
import Foundation

/// Attendance as the relay observes it (the seed's BOOKINGS `joined_at`, `left_at`,
/// `attendance_status`): a learner has joined when their media connection is up, not when they ask
/// for a token. Statistics go through `StatisticsRecorder`, one row per connection.
public struct AttendanceLedger: Sendable {
    let services: ControlPlaneServices

    public init(services: ControlPlaneServices) {
        self.services = services
    }

    /// One media connection of one user in one session.
    public struct Connection: Sendable, Hashable {
        public let sessionID: UUID
        public let userID: Int64
        public let joinedAt: Date
    }

    /// Records a join: the first one sets `joined_at` and `present`, or `late` after `lateGraceSeconds`
    /// past the start; a rejoin clears `left_at`. Nil for a room or user the control plane doesn't know.
    public func joined(roomID: String, userID: String) async throws -> Connection? {
        let db = services.database.db
        guard let userID = Int64(userID),
            let session = try await LearningSession.query(on: db).filter(\.$meetingRoomID == roomID).first(),
            let sessionID = session.id
        else { return nil }
        let now = services.now()
        if let booking = try await Booking.query(on: db).filter(\.$session.$id == sessionID)
            .filter(\.$learner.$id == userID).filter(\.$status == .confirmed).first()
        {
            if booking.joinedAt == nil {
                booking.joinedAt = now
                let lateAfter = session.schedule.addingTimeInterval(TimeInterval(services.configuration.lateGraceSeconds))
                booking.attendanceStatus = now > lateAfter ? .late : .present
            }
            booking.leftAt = nil
            try await booking.save(on: db)
        }
        return Connection(sessionID: sessionID, userID: userID, joinedAt: now)
    }

    /// Saves a connection's statistics; with `left`, also its departure (`left_at`).
    public func record(_ connection: Connection, _ report: ParticipantStatisticsReport, left: Bool) async throws {
        var report = report
        report.userID = connection.userID
        report.joinedAt = connection.joinedAt
        report.leftAt = left ? services.now() : nil
        try await StatisticsRecorder(database: services.database).record(sessionID: connection.sessionID, report)
    }

    /// After a crash: connections with no `left_at` end where their last statistics snapshot ended.
    public func closeDangling() async throws {
        let db = services.database.db
        let open = try await ParticipantStatistics.query(on: db).filter(\.$leftAt == nil).all()
        for row in open {
            let end = (row.joinedAt ?? services.now()).addingTimeInterval(row.secondsInRoom)
            row.leftAt = end
            try await row.save(on: db)
            try await Booking.query(on: db).filter(\.$session.$id == row.$session.id)
                .filter(\.$learner.$id == row.$user.id).filter(\.$joinedAt != nil).filter(\.$leftAt == nil)
                .set(\.$leftAt, to: end).update()
        }
        for sessionID in Set(open.map { $0.$session.id }) {
            try await StatisticsRecorder.aggregate(sessionID: sessionID, on: db)
        }
    }
}
