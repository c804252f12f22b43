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
        /// Its `participant_statistics` row, written with the join.
        public let rowID: Int64?
    }

    /// Records a join: the first one sets `joined_at` and `present`, or `late` after `lateGraceSeconds`
    /// past the start; a rejoin clears `left_at`. Nil for a room or user the control plane doesn't know.
    ///
    /// The connection's statistics row (zero counters, no `left_at`) is inserted in the same transaction,
    /// so from the moment the join is committed there is an open row for crash recovery to close: a
    /// process killed before the first 5-s snapshot no longer leaves the booking's `left_at` NULL forever.
    public func joined(roomID: String, userID: String) async throws -> Connection? {
        let db = services.database.db
        guard let userID = Int64(userID),
            let session = try await LearningSession.query(on: db).filter(\.$meetingRoomID == roomID).first(),
            let sessionID = session.id
        else { return nil }
        // The mentor's first connection opens a scheduled session (the room is open from the join window;
        // the session is active once its host is there). Learners are told it started.
        if session.status == .scheduled, session.$mentor.id == userID {
            try await SessionLifecycle(services: services).applyAutomatically(.start, sessionID: sessionID, because: "the mentor connected")
        }
        let now = services.now()
        let lateAfter = session.schedule.addingTimeInterval(TimeInterval(services.configuration.lateGraceSeconds))
        let rowID = try await db.transaction { tx -> Int64? in
            if let booking = try await Booking.query(on: tx).filter(\.$session.$id == sessionID)
                .filter(\.$learner.$id == userID).filter(\.$status == .confirmed).first()
            {
                if booking.joinedAt == nil {
                    booking.joinedAt = now
                    booking.attendanceStatus = now > lateAfter ? .late : .present
                }
                booking.leftAt = nil
                try await booking.save(on: tx)
            }
            guard try await User.find(userID, on: tx) != nil else { return nil }
            let row = ParticipantStatistics()
            row.$session.id = sessionID
            row.$user.id = userID
            row.bytesIn = 0
            row.bytesOut = 0
            row.packetsIn = 0
            row.packetsOut = 0
            row.packetsLost = 0
            row.lossFraction = 0
            row.jitterMs = 0
            row.secondsInRoom = 0
            row.audioOnly = false
            row.joinedAt = now
            row.leftAt = nil
            try await row.create(on: tx)
            return row.id
        }
        return Connection(sessionID: sessionID, userID: userID, joinedAt: now, rowID: rowID)
    }

    /// Saves a connection's statistics; with `left`, also its departure (`left_at`).
    public func record(_ connection: Connection, _ report: ParticipantStatisticsReport, left: Bool) async throws {
        var report = report
        report.userID = connection.userID
        report.joinedAt = connection.joinedAt
        report.leftAt = left ? services.now() : nil
        try await StatisticsRecorder(database: services.database)
            .record(sessionID: connection.sessionID, report, rowID: connection.rowID)
    }

    /// After a crash (at start-up, before the relay admits anyone, so every open row is dangling):
    /// - a connection's statistics row ends where its last snapshot ended (`joined_at + seconds_in_room`).
    ///   A row that never got a snapshot has `seconds_in_room` 0 and so closes at its join time: the
    ///   relay's 5-s snapshot is the only heartbeat there is, and nothing later than the join is known;
    /// - every booking joined and not left is closed too, at the latest end among that learner's rows in
    ///   the session, or at its join time when it has none (a join recorded by an older version).
    public func closeDangling() async throws {
        let db = services.database.db
        let open = try await ParticipantStatistics.query(on: db).filter(\.$leftAt == nil).all()
        for row in open {
            row.leftAt = (row.joinedAt ?? services.now()).addingTimeInterval(row.secondsInRoom)
            try await row.save(on: db)
        }
        let bookings = try await Booking.query(on: db).filter(\.$joinedAt != nil).filter(\.$leftAt == nil).all()
        for booking in bookings {
            guard let joinedAt = booking.joinedAt else { continue }
            let ends = try await ParticipantStatistics.query(on: db).filter(\.$session.$id == booking.$session.id)
                .filter(\.$user.$id == booking.$learner.id).all().compactMap(\.leftAt)
            booking.leftAt = max(joinedAt, ends.max() ?? joinedAt)
            try await booking.save(on: db)
        }
        for sessionID in Set(open.map { $0.$session.id } + bookings.map { $0.$session.id }) {
            try await StatisticsRecorder.aggregate(sessionID: sessionID, on: db)
        }
    }
}
